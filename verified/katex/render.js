// A long-lived KaTeX renderer: one JSON request per line on stdin, one JSON answer per line on stdout.
// Same KaTeX (0.15.1) and same renderToString call as markdown-katex's bundled `katex` CLI, without a
// process per formula.
"use strict";
const katex = require("./katex.min.js");
const readline = require("readline");

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  const request = JSON.parse(line);
  let answer;
  try {
    answer = { html: katex.renderToString(request.tex, request.options) };
  } catch (error) {
    answer = { error: String(error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
