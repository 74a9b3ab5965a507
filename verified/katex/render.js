// A long-lived KaTeX renderer: one JSON request per line on stdin, one JSON answer per line on stdout.
// Same KaTeX (0.15.1) and same renderToString call as markdown-katex's bundled `katex` CLI, without a
// process per formula. With arguments it is that CLI's stand-in where markdown-katex ships no binary
// (it has one for x86_64 only): `--version`, `--help`, and `--input FILE --output FILE` with its flags.
"use strict";
const fs = require("fs");
const katex = require("./katex.min.js");
const readline = require("readline");

const FLAGS = {
  "--display-mode": ["displayMode", true],
  "--leqno": ["leqno", true],
  "--fleqn": ["fleqn", true],
  "--no-throw-on-error": ["throwOnError", false],
  "--color-is-text-color": ["colorIsTextColor", true],
  "--strict": ["strict", true],
  "--trust": ["trust", true],
};

function cli(args) {
  if (args.includes("--version") || args.includes("--help")) {
    process.stdout.write(katex.version + "\n");
    return 0;
  }
  const options = {};
  let input, output;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--input") input = args[++i];
    else if (args[i] === "--output") output = args[++i];
    else if (FLAGS[args[i]]) options[FLAGS[args[i]][0]] = FLAGS[args[i]][1];
    else {
      process.stderr.write(`unsupported option ${args[i]}\n`);
      return 2;
    }
  }
  try {
    fs.writeFileSync(output, katex.renderToString(fs.readFileSync(input, "utf-8"), options) + "\n");
  } catch (error) {
    process.stderr.write(String(error) + "\n");
    return 1;
  }
  return 0;
}

if (process.argv.length > 2) {
  process.exitCode = cli(process.argv.slice(2));
} else {
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
}
