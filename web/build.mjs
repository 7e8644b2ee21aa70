// Builds src/ into ../assets/web/dist: content-hashed bundles, an index.html naming them
// (no inline script or style: the CSP forbids both) and a .gz beside each file, which
// `uc serve` embeds and sends to clients that accept gzip. The output depends only on the
// sources and the pinned tools (gzip by fflate, not Node's zlib, whose output varies with the
// zlib a Node was built with), so .ci/run can rebuild it and compare with what is committed.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'fflate';

const here = new URL('.', import.meta.url).pathname;
const dist = join(here, '..', 'assets', 'web', 'dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'src', 'main.tsx') },
  outdir: dist,
  entryNames: '[name]-[hash]',
  // A dynamic import (the terminal's xterm.js) becomes a chunk of its own, loaded when used.
  splitting: true,
  chunkNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint);
const script = entry && basename(entry[0]);
const style = entry?.[1].cssBundle && basename(entry[1].cssBundle);
if (!script || !style) throw new Error(`expected the app's .js and .css, got ${Object.keys(result.metafile.outputs)}`);

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>uc</title>
<link rel="stylesheet" href="/assets/${style}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"></div>
</body>
</html>
`;
writeFileSync(join(dist, 'index.html'), html);

for (const name of readdirSync(dist).sort()) {
  // mtime 0: a build time in the header would make every build differ.
  const gz = gzipSync(readFileSync(join(dist, name)), { level: 9, mtime: 0 });
  writeFileSync(join(dist, `${name}.gz`), gz);
}
