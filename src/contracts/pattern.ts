import { RE2JS } from 're2js';

/**
 * A contract's `checks.pattern`, run by RE2's linear-time engine (re2js, the JavaScript port of RE2): the time a
 * value takes grows with its length, never exponentially, whatever the pattern. JavaScript's backtracking RegExp
 * took minutes on one 41-character value under `^(a+)+$`, holding up every later file of the dataset. Like
 * RegExp.test, a pattern matches anywhere in the value unless anchored.
 */
export interface Pattern {
  test(text: string): boolean;
  /** `/source/`, as messages quote it. */
  toString(): string;
}

/** The pattern compiled, or an error that says what RE2 does not take (backreferences, lookarounds) and why. */
export function compilePattern(source: string): Pattern {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw new Error(
      `${(err as Error).message.replace(/^error parsing regexp: /, '')}: patterns run on RE2, which matches in linear time; ` +
        'it has no backreferences or lookarounds (they can take exponential time on one value): write the pattern without them',
    );
  }
  return { test: (text) => re.matcher(text).find(), toString: () => `/${source}/` };
}
