// A long-lived KaTeX renderer (verified/katex.py): one JSON request per line on stdin, {tex, options},
// one JSON answer per line on stdout, {html} or {error}. The same KaTeX (0.15.1) and the same
// renderToString call as markdown-katex's bundled `katex` binary, without a process per formula.
"use strict";
const katex = require("./katex.min.js");
const readline = require("readline");

readline.createInterface({ input: process.stdin, terminal: false }).on("line", (line) => {
  const request = JSON.parse(line);
  let answer;
  try {
    answer = { html: katex.renderToString(request.tex, request.options) };
  } catch (error) {
    answer = { error: String(error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
