// Strings that break naive code: lone surrogates, case-folding oddities, controls, huge lengths (fast-check arbitraries).
import fc from 'fast-check';

/**
 * Code units that turn into something else on the way: lone surrogates (U+FFFD once UTF-8 encoded), U+FFFD itself,
 * NUL, a BOM, bidi overrides, a combining mark, letters whose lower case is another letter (Kelvin sign → k) or
 * longer (İ → i̇), ß, a backslash, a quote, a percent sign.
 */
export const ODD_UNITS = [
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ufffd',
  '\u0000',
  '\ufeff',
  '\u202e',
  '\u0301',
  '\u212a',
  'K',
  'k',
  '\u0130',
  'i\u0307',
  '\u00df',
  'ss',
  '\\',
  '"',
  '%',
  '\ud83d\ude00',
  '',
] as const;

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));

/** One unit of a fuzzed string: mostly ASCII, often any code point, sometimes a lone surrogate or an odd unit. */
const unit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_UNITS) },
);

/** A short string of any code units, ill-formed UTF-16 included. */
export function oddString(maxLength = 24): fc.Arbitrary<string> {
  return fc.string({ unit, maxLength });
}

/**
 * Sizes up to `max`, mostly small: one of four ranges (to 16, 256, 4,096, `max`) chosen alike, then any size in it.
 * Huge values are where quadratic code shows; within its range a failing size shrinks to the smallest that fails.
 */
export function sizeUpTo(max: number): fc.Arbitrary<number> {
  const ranges = [16, 256, 4_096, max].filter((top, i, all) => top <= max && all.indexOf(top) === i);
  return fc.oneof({ withCrossShrink: true }, ...ranges.map((top) => fc.integer({ min: 0, max: top })));
}

/** A string of `size` characters repeated from a short odd seed, so huge strings cost little to generate. */
export function sizedString(max: number): fc.Arbitrary<string> {
  return fc.tuple(oddString(8), sizeUpTo(max)).map(([seed, size]) => (seed === '' ? 'x' : seed).repeat(size).slice(0, size));
}

/** Any fuzzed string: usually short and odd, one in ten up to `max` characters. */
export function anyString(max = 200_000): fc.Arbitrary<string> {
  return fc.oneof({ weight: 9, arbitrary: oddString() }, { weight: 1, arbitrary: sizedString(max) });
}
