// Parses Mermaid diagrams with Mermaid's own parser, as GitLab's bundled Mermaid would.
// Input on stdin: Markdown; every ```mermaid block in it is parsed. Prints one line per block
// ("ok N" or "error N: message") and exits 1 when any block fails or none is found.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
// Mermaid's sanitiser (DOMPurify) needs a window; nothing here renders.
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

let input = "";
for await (const chunk of process.stdin) input += chunk;
const blocks = [...input.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]);
if (blocks.length === 0) {
  console.log("error: no ```mermaid block in the input");
  process.exit(1);
}
let failed = false;
for (const [index, text] of blocks.entries()) {
  try {
    await mermaid.parse(text);
    console.log(`ok ${index + 1}`);
  } catch (error) {
    failed = true;
    console.log(`error ${index + 1}: ${String(error?.message ?? error).split("\n").join(" ")}`);
  }
}
process.exit(failed ? 1 : 0);
