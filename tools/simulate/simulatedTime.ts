/** @module Sysmon's time formats for simulated events. */

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** Sysmon `UtcTime` (`YYYY-MM-DD HH:MM:SS.mmm`); the date part is cached per second (this runs per event). */
export function utcTime(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== cachedSecond) {
        const iso = new Date(second * 1000).toISOString();
        cachedPrefix = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
        cachedSecond = second;
    }
    const millis = ms - second * 1000;
    return `${cachedPrefix}${millis < 10 ? '.00' : millis < 100 ? '.0' : '.'}${millis}`;
}

/** `TimeCreated` in the flat files: ISO 8601 UTC with `Z`. */
export function isoOf(utc: string): string {
    return `${utc.slice(0, 10)}T${utc.slice(11)}Z`;
}
