/**
 * @module Text from events made safe to print on a terminal. Event fields are attacker-controlled: an image name
 * holding `ESC[2J` would clear the analyst's screen, other escape sequences can retitle the window or rewrite what
 * was printed, and Unicode direction overrides can make text read differently from what it is (CVE-2021-42574,
 * "Trojan Source"). Each such character is shown as a visible escape instead.
 */

/**
 * C0 controls (tab and newline included: a field value must stay on its line and in its column), DEL, C1 controls,
 * the bidirectional marks, embeddings, overrides and isolates, and the line and paragraph separators.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every character a terminal would act on replaced by `\xHH` (up to U+00FF) or `\uHHHH`.
 * @example escapeForTerminal('a\u001b[2Jb') // 'a\\x1b[2Jb'
 */
export function escapeForTerminal(text: string): string {
    return text.replace(UNSAFE, (char) => {
        const code = char.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    });
}
