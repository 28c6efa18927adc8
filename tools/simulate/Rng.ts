/**
 * @module Seeded pseudo-random numbers for the simulator. `Math.random` is never used there, so one seed reproduces
 * one stream exactly, on any machine and any Node version.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, PractRand-tested, public domain),
 * seeded through splitmix32 so that neighbouring seeds (1, 2, 3) give unrelated streams. Not for cryptography.
 */

/** splitmix32 step: a good 32-bit mixer, used to spread a seed over sfc32's 128 bits of state. */
function splitmix32(state: number): number {
    let z = (state + 0x9e3779b9) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
}

/**
 * A 32-bit seed derived from a base seed and labels, so that independent parts of the simulation (each host, each
 * attack) draw from their own streams and adding one part never shifts the numbers another part sees.
 * @example deriveSeed(1, 'host', 3) !== deriveSeed(1, 'host', 4) // true
 */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
    let h = splitmix32((seed >>> 0) ^ Math.floor(seed / 0x1_0000_0000));
    for (const label of labels) {
        const text = String(label);
        for (let i = 0; i < text.length; i++) h = splitmix32(h ^ Math.imul(text.charCodeAt(i), 0x01000193));
        h = splitmix32(h ^ 0x5bd1e995);
    }
    return h;
}

const HEX = '0123456789abcdef';

/** A seeded random source with the helpers the simulator needs. */
export class Rng {
    private a: number;
    private b: number;
    private c: number;
    private d: number;

    constructor(seed: number) {
        const s = seed >>> 0;
        this.a = splitmix32(s);
        this.b = splitmix32(this.a ^ 0x2545f491);
        this.c = splitmix32(this.b ^ 0x4f6cdd1d);
        this.d = 1;
        // sfc32's authors discard the first outputs so that similar seeds diverge.
        for (let i = 0; i < 12; i++) this.uint32();
    }

    /** The next 32-bit unsigned integer. */
    uint32(): number {
        const t = (((this.a + this.b) | 0) + this.d) | 0;
        this.d = (this.d + 1) | 0;
        this.a = this.b ^ (this.b >>> 9);
        this.b = (this.c + (this.c << 3)) | 0;
        this.c = (this.c << 21) | (this.c >>> 11);
        this.c = (this.c + t) | 0;
        return t >>> 0;
    }

    /** A float in [0, 1). */
    next(): number {
        return this.uint32() / 0x1_0000_0000;
    }

    /** An integer in [0, maxExclusive). */
    int(maxExclusive: number): number {
        return Math.floor(this.next() * maxExclusive);
    }

    /** An integer in [min, max], both included. */
    range(min: number, max: number): number {
        return min + Math.floor(this.next() * (max - min + 1));
    }

    /** True with probability `p`. */
    chance(p: number): boolean {
        return this.next() < p;
    }

    /** One element of a non-empty list. */
    pick<T>(items: readonly T[]): T {
        if (items.length === 0) throw new RangeError('pick() needs at least one item');
        return items[Math.floor(this.next() * items.length)] as T;
    }

    /** An exponentially distributed wait with the given mean (a Poisson process's inter-arrival time). */
    exponential(mean: number): number {
        return -Math.log(1 - this.next()) * mean;
    }

    /** `digits` lower-case hexadecimal digits. */
    hex(digits: number): string {
        let text = '';
        let bits = 0;
        let word = 0;
        for (let i = 0; i < digits; i++) {
            if (bits === 0) {
                word = this.uint32();
                bits = 32;
            }
            text += HEX[word & 0xf];
            word >>>= 4;
            bits -= 4;
        }
        return text;
    }

    /** A random GUID in the 8-4-4-4-12 form, lower case, without braces. */
    guid(): string {
        return `${this.hex(8)}-${this.hex(4)}-${this.hex(4)}-${this.hex(4)}-${this.hex(12)}`;
    }
}
