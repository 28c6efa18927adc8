/** @module Query-string parameters, trimmed and checked; a bad one is a 400 naming it. */
import { ApiProblem } from './http';

export function queryParameter(params: URLSearchParams, name: string): string | undefined {
    const value = params.get(name);
    return value === null || value.trim() === '' ? undefined : value.trim();
}

export function isoTime(params: URLSearchParams, name: string): string | undefined {
    const value = queryParameter(params, name);
    if (value === undefined) return undefined;
    const parsed = Date.parse(value);
    if (Number.isNaN(parsed)) throw new ApiProblem(400, 'invalid-time', `${name} must be an ISO 8601 time`, name);
    return new Date(parsed).toISOString();
}

export function integer(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
    const value = queryParameter(params, name);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
        throw new ApiProblem(400, 'invalid-number', `${name} must be an integer from ${min} to ${max}`, name);
    }
    return Number(value);
}
