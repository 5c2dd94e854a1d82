// One svg-captcha (the npm package, 1.4.0) as SVG on stdout, for benchmark/foreign.py:
//   node benchmark/svg_captcha.js TEXT SEED [OPTIONS]
// with NODE_PATH naming the node_modules folder that holds svg-captcha. svg-captcha draws from
// Math.random; it is replaced here by a seeded generator (mulberry32), so a folder regenerates
// byte for byte. Options: the package README's example (colour text on a #cc9966 ground), two
// noise lines, and the default 150x50 canvas's spacing kept for 4-6 characters. OPTIONS, a JSON
// object, changes them for results/foreign/ablation.py (its "font" names a face to load in place
// of the package's own Comismsh); without it the output is what it always was.
"use strict";
const [text, seedText, optionsText] = process.argv.slice(2);
if (!text || !/^\d+$/.test(seedText || "")) {
  console.error("usage: node benchmark/svg_captcha.js TEXT SEED [OPTIONS] (SEED a whole number)");
  process.exit(2);
}
let changes = {};
if (optionsText !== undefined) {
  try {
    changes = JSON.parse(optionsText);
  } catch (err) {
    changes = null;
  }
  if (changes === null || typeof changes !== "object" || Array.isArray(changes)) {
    console.error("svg_captcha.js: OPTIONS must be a JSON object, e.g. '{\"noise\": 0}'");
    process.exit(2);
  }
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
const { font, ...options } = changes;
if (font !== undefined) {
  try {
    svgCaptcha.loadFont(font);
  } catch (err) {
    console.error(`svg_captcha.js: cannot load the font ${font}: ${err.message}`);
    process.exit(2);
  }
}
const width = 30 * (text.length + 1); // 150 for 4 characters, the package's default
process.stdout.write(
  svgCaptcha(text, { width, height: 50, noise: 2, color: true, background: "#cc9966", ...options })
);
