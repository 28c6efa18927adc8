/**
 * @module The image name of a process GUID when its events disagree. Recorded telemetry holds events whose `Image`
 * or `SourceImage` is garbage (leading characters overwritten, or worse); the events of one GUID then disagree on
 * one process's image. The name chosen is the well-formed Windows path that the most telling events agree on:
 * the process creation first, then remote threads (EID 8) over process accesses (EID 10), then the majority.
 * Pure.
 */

/** One image name an event gave for a process, with how much that kind of event is trusted (lower is better). */
export interface ImageCandidate {
    image: string;
    /** 0 process creation, 1 remote thread, 2 process access, 3 anything else. */
    rank: number;
}

export interface ResolvedImage {
    image: string;
    /** The other spellings the events gave, when they disagreed (what the incident reports as corrected). */
    corrected: string[];
}

// A drive path, a UNC path, or an NT path Sysmon keeps (\??\, \\?\, \SystemRoot\, \Device\).
const PATH_START = /^(?:[a-z]:\\|\\\\[^\\]|\\\?\?\\|\\\\\?\\|\\systemroot\\|\\device\\)/i;
// Characters Windows forbids in path components, control characters and the replacement character.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[<>"|*\u0000-\u001f\u007f\ufffd]/;

const UNKNOWN_PROCESS = /^(?:<|&lt;)unknown process(?:>|&gt;)$/i;

/** Whether an image name reads as a Windows path (not `<unknown process>`, not garbage). */
export function isWellFormedImagePath(image: string): boolean {
    const text = image.trim();
    const rest = withoutNtPrefix(text);
    return PATH_START.test(text) && !FORBIDDEN.test(rest) && !rest.includes('?') && !rest.endsWith('\\');
}

/** The path without the `\\?\` or `\??\` prefix Sysmon sometimes keeps. */
function withoutNtPrefix(path: string): string {
    return path.replace(/^\\\\\?\\|^\\\?\?\\/, '');
}

/** The path below its volume, lower case: `C:\\x`, `\\??\\C:\\x` and `\\Device\\HarddiskVolume2\\x` name one file. */
function sameImageKey(image: string): string {
    return withoutNtPrefix(image.trim())
        .toLowerCase()
        .replace(/^(?:[a-z]:|\\device\\harddiskvolume\d+)(?=\\)/, '');
}

/** `<unknown process>` (or its XML-escaped spelling): Sysmon did not know the image. */
export function isUnknownProcess(image: string): boolean {
    return UNKNOWN_PROCESS.test(image.trim());
}

/**
 * The image to name a process by: among well-formed candidates, the best rank, then the most frequent (ties by the
 * first seen); with no well-formed candidate, the most frequent known one. Undefined with no known candidate.
 */
export function resolveImage(candidates: readonly ImageCandidate[]): ResolvedImage | undefined {
    const known = candidates.filter((c) => c.image.trim() !== '' && !isUnknownProcess(c.image));
    if (known.length === 0) return undefined;
    const wellFormed = known.filter((c) => isWellFormedImagePath(c.image));
    const pool = wellFormed.length > 0 ? wellFormed : known;
    const bestRank = Math.min(...pool.map((c) => c.rank));
    const counts = new Map<string, { image: string; count: number; order: number }>();
    pool.filter((c) => c.rank === bestRank).forEach((c, order) => {
        const key = sameImageKey(c.image);
        const entry = counts.get(key);
        if (entry) entry.count++;
        else counts.set(key, { image: c.image.trim(), count: 1, order });
    });
    const chosen = [...counts.values()].sort((a, b) => b.count - a.count || a.order - b.order)[0]!;
    const corrected: string[] = [];
    const chosenKey = sameImageKey(chosen.image);
    for (const c of known) {
        const key = sameImageKey(c.image);
        // A shorter spelling of the same path (a bare file name for a process created from a section) is not a
        // disagreement; a path with other characters in front is.
        if (key === chosenKey || chosenKey.endsWith(`\\${key}`)) continue;
        if (!corrected.some((seen) => sameImageKey(seen) === key)) corrected.push(c.image.trim());
    }
    return { image: chosen.image, corrected };
}
