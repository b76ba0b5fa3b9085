import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const TEMPLATE_FILE = fileURLToPath(new URL('../../template.yaml', import.meta.url));

const FN: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  Sub: 'Fn::Sub',
  GetAtt: 'Fn::GetAtt',
  If: 'Fn::If',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  FindInMap: 'Fn::FindInMap',
  ImportValue: 'Fn::ImportValue',
  GetAZs: 'Fn::GetAZs',
  Base64: 'Fn::Base64',
  Cidr: 'Fn::Cidr',
};

/** CloudFormation short-form tags (`!Ref X`, `!GetAtt A.B`) in their long form (`{ Ref: X }`, `{ 'Fn::GetAtt': [A, B] }`). */
const customTags = Object.entries(FN).flatMap(([tag, fn]) =>
  (['scalar', 'seq', 'map'] as const).map((collection) => ({
    tag: `!${tag}`,
    collection: collection === 'scalar' ? undefined : collection,
    resolve: (value: unknown) => {
      const v = (value as { toJSON?: () => unknown })?.toJSON ? (value as { toJSON: () => unknown }).toJSON() : value;
      return { [fn]: fn === 'Fn::GetAtt' && typeof v === 'string' ? v.split('.') : v };
    },
  })),
);

export type Template = {
  Parameters?: Record<string, { Default?: unknown }>;
  Resources: Record<
    string,
    {
      Type: string;
      Properties?: Record<string, any>;
      Metadata?: Record<string, any>;
      Condition?: string;
      DependsOn?: string | string[];
    }
  >;
  Globals?: { Function?: Record<string, any> };
  [k: string]: unknown;
};

export async function readTemplate(file = TEMPLATE_FILE): Promise<Template> {
  return parse(await readFile(file, 'utf8'), { customTags: customTags as never }) as Template;
}
