#!/usr/bin/env node
// npm's `prepare` step (npm ci / npm install in a checkout): compiles the CSV core and builds the CLI so that
// `npx landfall` works at once and starts fast. A production install has no devDependencies, hence no
// AssemblyScript: `sam build` runs one (`npm install --production` in a copy of the project, for each function)
// and only bundles there; the runtime layer carries the compiled core (layers/runtime/Makefile). So without the
// compiler this step says so and succeeds.
let compiler = true;
try {
  // AssemblyScript exports `./asc` for `import` only: require.resolve would say it is missing when it is there.
  import.meta.resolve('assemblyscript/asc');
} catch {
  compiler = false;
}
if (compiler) {
  const { buildWasm } = await import('./build-wasm.mjs');
  console.log(`csv core: ${await buildWasm()}`);
  // The command, built once here (bin/landfall.mjs rebuilds it when a source changes): no TypeScript compiled per start.
  const { buildCli } = await import('./build-cli.mjs');
  console.log(`landfall CLI: ${await buildCli()}`);
} else {
  console.log(
    'landfall: production install (no AssemblyScript): the CSV core is not compiled here; the runtime layer carries it.',
  );
}
