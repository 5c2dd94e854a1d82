// One svg-captcha (the npm package, 1.4.0) as SVG on stdout, for benchmark/foreign.py:
//   node benchmark/svg_captcha.js TEXT SEED
// with NODE_PATH naming the node_modules folder that holds svg-captcha. svg-captcha draws from
// Math.random; it is replaced here by a seeded generator (mulberry32), so a folder regenerates
// byte for byte. Options: the package README's example (colour text on a #cc9966 ground), two
// noise lines, and the default 150x50 canvas's spacing kept for 4-6 characters.
"use strict";
const [text, seedText] = process.argv.slice(2);
if (!text || !/^\d+$/.test(seedText || "")) {
  console.error("usage: node benchmark/svg_captcha.js TEXT SEED (SEED a whole number)");
  process.exit(2);
}
let state = Number(seedText) >>> 0;
Math.random = function () {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const svgCaptcha = require("svg-captcha");
const width = 30 * (text.length + 1); // 150 for 4 characters, the package's default
process.stdout.write(
  svgCaptcha(text, { width, height: 50, noise: 2, color: true, background: "#cc9966" })
);
