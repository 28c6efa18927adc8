/** @module Query-string parameters, trimmed and checked; a bad one is a 400 naming it. */
import { ApiProblem } from './http';

export function queryParameter(params: URLSearchParams, name: string): string | undefined {
    const value = params.get(name);
    return value === null || value.trim() === '' ? undefined : value.trim();
}

/**
 * An RFC 3339 instant (the ISO 8601 profile with a date, a time with seconds and an offset):
 * `2026-11-25T10:00:00Z`, `2026-11-25T11:00:00.5+01:00`. Anything else `Date.parse` happens to accept (`1`, `-1`,
 * `+275760-09-13T00:00:00.000Z`, `Nov 25 2026`) would be compared as text against stored times, so it is refused.
 */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** The instant as `toISOString` writes it, or undefined when `value` is not an RFC 3339 instant of a real day. */
export function parseInstant(value: string): string | undefined {
    const m = INSTANT.exec(value);
    if (!m) return undefined;
    const [, year, month, day, hour, minute, second, fraction = '', offset = 'Z'] = m;
    // Date.parse rolls 2026-02-30 over to March 2: check that the calendar fields name a real day and time.
    const fields = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
    const asDate = new Date(fields);
    if (
        asDate.getUTCFullYear() !== Number(year) ||
        asDate.getUTCMonth() !== Number(month) - 1 ||
        asDate.getUTCDate() !== Number(day) ||
        asDate.getUTCHours() !== Number(hour) ||
        asDate.getUTCMinutes() !== Number(minute) ||
        asDate.getUTCSeconds() !== Number(second) ||
        (offset.length > 1 && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59))
    )
        return undefined;
    const parsed = Date.parse(`${value.slice(0, 19).toUpperCase()}${fraction.slice(0, 4)}${offset.toUpperCase()}`);
    return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString();
}

export function isoTime(params: URLSearchParams, name: string): string | undefined {
    const value = queryParameter(params, name);
    if (value === undefined) return undefined;
    const instant = parseInstant(value);
    if (instant === undefined)
        throw new ApiProblem(
            400,
            'invalid-time',
            `${name} must be an ISO 8601 instant such as 2026-11-25T10:00:00Z (date, time with seconds, offset)`,
            name,
        );
    return instant;
}

export function integer(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
    const value = queryParameter(params, name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
        throw new ApiProblem(400, 'invalid-number', `${name} must be an integer from ${min} to ${max}`, name);
    }
    return Number(value);
}
