import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTemplate, type Template } from '#src/cli/samTemplate.ts';
import { tempDir } from '../helpers.ts';
import {
  type BuiltFunction,
  copyCommittable,
  invokeSamples,
  listFiles,
  samBuildFunctions,
  samBuildLayer,
} from '../samBuildReplay.ts';

/**
 * The AWS lane: AWS's own tools on the committed tree. The SAM CLI and cfn-lint come from .ci/requirements.txt
 * (.ci/run installs them into .venv/; LANDFALL_SAM names another `sam`).
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const VENV = join(REPO, '.venv/bin');
const tool = (name: string) => {
  const override = name === 'sam' ? process.env.LANDFALL_SAM : undefined;
  if (override) return override;
  const path = join(VENV, name);
  if (!existsSync(path))
    throw new Error(
      `${path} is missing: install the AWS lane's tools with python3 -m venv .venv && .venv/bin/pip install -r .ci/requirements.txt`,
    );
  return path;
};
const env = { ...process.env, SAM_CLI_TELEMETRY: '0', AWS_DEFAULT_REGION: 'us-east-1' };

describe('the real SAM CLI and cfn-lint on the committed tree', () => {
  let source: string;
  let buildDir: string;
  let t: Template;
  let real: BuiltFunction[];
  let replayed: BuiltFunction[];
  let realLayer: string;
  let replayedLayer: string;
  const results = new Map<string, unknown>();

  beforeAll(async () => {
    const work = await tempDir('landfall-sam-cli-');
    source = join(work, 'checkout');
    await copyCommittable(REPO, source);
    // The README's first deploy step is `npm ci`: the layer's Makefile reads the checkout's node_modules.
    await symlink(join(REPO, 'node_modules'), join(source, 'node_modules'));
    buildDir = join(work, 'sam-build');
    await run(tool('sam'), ['build', '--no-cached', '--build-dir', buildDir], {
      cwd: source,
      env,
      maxBuffer: 1 << 26,
    });
    t = await readTemplate(join(source, 'template.yaml'));
    real = Object.entries(t.Resources)
      .filter(([, r]) => r.Type === 'AWS::Serverless::Function')
      .map(([id, r]) => ({
        id,
        dir: join(buildDir, id),
        handler: String((r.Properties as { Handler: string }).Handler),
        esbuild: '',
      }));
    realLayer = join(buildDir, 'RuntimeLayer');
    replayed = await samBuildFunctions(t, source, join(work, 'replay'), join(work, 'scratch-functions'));
    replayedLayer = await samBuildLayer(t, 'RuntimeLayer', source, join(work, 'replay'), join(work, 'scratch-layer'));

    for (const [id, r] of await invokeSamples(real, t, realLayer, work)) results.set(id, r);
  }, 600_000);

  it('sam validate --lint finds the template valid', async () => {
    const { stdout } = await run(tool('sam'), ['validate', '--lint'], { cwd: source, env });
    expect(stdout).toMatch(/template\.yaml is a valid SAM Template/);
  });

  it('cfn-lint reports nothing, informational checks included', async () => {
    const r = await run(tool('cfn-lint'), ['--include-checks', 'I', '--', 'template.yaml'], { cwd: source, env }).catch(
      (err: { stdout: string; code: number }) => ({ stdout: err.stdout, code: err.code }),
    );
    expect(r.stdout.trim()).toBe('');
  });

  it('sam build writes the bundles the replay in npm test writes, byte for byte, and the same layer', async () => {
    expect(real.map((f) => f.id).sort()).toEqual(replayed.map((f) => f.id).sort());
    for (const f of real) {
      const twin = replayed.find((r) => r.id === f.id)!;
      expect(await listFiles(f.dir)).toEqual(await listFiles(twin.dir));
      const bundle = (dir: string) => readFile(join(dir, 'handler.mjs'));
      expect((await bundle(f.dir)).equals(await bundle(twin.dir)), `${f.id}/handler.mjs`).toBe(true);
      // Source maps name their sources relative to the scratch folder, a new temporary folder for each build.
      const map = async (dir: string) => {
        const m = JSON.parse(await readFile(join(dir, 'handler.mjs.map'), 'utf8'));
        return { mappings: m.mappings, names: m.names, sources: m.sources.length };
      };
      expect(await map(f.dir)).toEqual(await map(twin.dir));
    }
    expect(await listFiles(realLayer)).toEqual(await listFiles(replayedLayer));
    // The encoder threads are bundled unminified by make, with each module's path relative to where SAM's scratch
    // artifacts folder stood as a comment line (\`// ../<path>\`): those lines are taken out, the code compared.
    const layerFile = async (root: string, file: string) =>
      (await readFile(join(root, file), 'latin1')).replace(/^\/\/ \.\.?\/.*$/gm, '// <path>');
    for (const file of await listFiles(realLayer))
      expect(await layerFile(realLayer, file), file).toBe(await layerFile(replayedLayer, file));
  });

  it('each handler sam build made, with its built layer as /opt, answers its sample event', () => {
    expect(results.get('IngestFunction')).toMatchObject([{ status: 'published', dataset: 'olist_orders' }]);
    expect(results.get('ConvertFunction')).toMatchObject({ status: 'published' });
    expect(results.get('PlanFunction')).toEqual({ lead: true });
    expect(results.get('FreshnessFunction')).toEqual([]);
  });

  it("the built template is the source's, with each function's code pointing at its own build folder", async () => {
    const built = await readTemplate(join(buildDir, 'template.yaml'));
    for (const f of real)
      expect(dirname(join(buildDir, String(built.Resources[f.id].Properties?.CodeUri)))).toBe(buildDir);
    expect(Object.keys(built.Resources).sort()).toEqual(Object.keys(t.Resources).sort());
  });
});
