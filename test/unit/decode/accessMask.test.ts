import { describe, expect, it } from 'vitest';

import {
    PROCESS_ACCESS_RIGHTS,
    STANDARD_ACCESS_RIGHTS,
    THREAD_ACCESS_RIGHTS,
    decodeProcessAccess,
    decodeThreadAccess,
    hasCapability,
    parseAccessMask,
    type ProcessCapabilityName,
} from '../../../shared/decode/accessMask';

describe('parseAccessMask', () => {
    it.each([
        ['0x1fffff', 0x1fffff],
        ['0x1FFFFF', 0x1fffff],
        ['0X1F3FFF', 0x1f3fff],
        ['0x143a', 0x143a],
        ['0x143A', 0x143a],
        ['  0x1000  ', 0x1000],
        ['0x00001410', 0x1410],
        ['0x80000000', 0x80000000],
        ['0xffffffff', 0xffffffff],
        ['4096', 4096],
        ['0', 0],
        ['4294967295', 0xffffffff],
        [0x1fffff, 0x1fffff],
        [0x80000000, 0x80000000],
        [0, 0],
    ] as const)('parses %j as %d', (input, expected) => {
        expect(parseAccessMask(input)).toBe(expected);
    });

    it.each([
        ['abc'],
        [''],
        ['   '],
        ['0x'],
        ['0xZZ'],
        ['1fffff'],
        ['0x1fffff0000'],
        ['4294967296'],
        ['-1'],
        ['0x-1'],
        ['1.5'],
        ['0x1f 3fff'],
        [-1],
        [1.5],
        [Number.NaN],
        [0x100000000],
    ] as const)('rejects %j', (input) => {
        expect(parseAccessMask(input)).toBeUndefined();
    });
});

describe('decodeProcessAccess: rights', () => {
    it.each([
        ['0x1410', ['PROCESS_VM_READ', 'PROCESS_QUERY_INFORMATION', 'PROCESS_QUERY_LIMITED_INFORMATION']],
        [
            0x1438,
            [
                'PROCESS_VM_OPERATION',
                'PROCESS_VM_READ',
                'PROCESS_VM_WRITE',
                'PROCESS_QUERY_INFORMATION',
                'PROCESS_QUERY_LIMITED_INFORMATION',
            ],
        ],
        [
            0x143a,
            [
                'PROCESS_CREATE_THREAD',
                'PROCESS_VM_OPERATION',
                'PROCESS_VM_READ',
                'PROCESS_VM_WRITE',
                'PROCESS_QUERY_INFORMATION',
                'PROCESS_QUERY_LIMITED_INFORMATION',
            ],
        ],
        [
            0x10143a,
            [
                'PROCESS_CREATE_THREAD',
                'PROCESS_VM_OPERATION',
                'PROCESS_VM_READ',
                'PROCESS_VM_WRITE',
                'PROCESS_QUERY_INFORMATION',
                'PROCESS_QUERY_LIMITED_INFORMATION',
                'SYNCHRONIZE',
            ],
        ],
        [
            0x147a,
            [
                'PROCESS_CREATE_THREAD',
                'PROCESS_VM_OPERATION',
                'PROCESS_VM_READ',
                'PROCESS_VM_WRITE',
                'PROCESS_DUP_HANDLE',
                'PROCESS_QUERY_INFORMATION',
                'PROCESS_QUERY_LIMITED_INFORMATION',
            ],
        ],
        ['0x1028', ['PROCESS_VM_OPERATION', 'PROCESS_VM_WRITE', 'PROCESS_QUERY_LIMITED_INFORMATION']],
        ['0x1000', ['PROCESS_QUERY_LIMITED_INFORMATION']],
        ['0x1400', ['PROCESS_QUERY_INFORMATION', 'PROCESS_QUERY_LIMITED_INFORMATION']],
        ['0x101000', ['PROCESS_QUERY_LIMITED_INFORMATION', 'SYNCHRONIZE']],
        ['0x2000', ['PROCESS_SET_LIMITED_INFORMATION']],
        [
            0x1452,
            [
                'PROCESS_CREATE_THREAD',
                'PROCESS_VM_READ',
                'PROCESS_DUP_HANDLE',
                'PROCESS_QUERY_INFORMATION',
                'PROCESS_QUERY_LIMITED_INFORMATION',
            ],
        ],
        [
            0x14c0,
            [
                'PROCESS_DUP_HANDLE',
                'PROCESS_CREATE_PROCESS',
                'PROCESS_QUERY_INFORMATION',
                'PROCESS_QUERY_LIMITED_INFORMATION',
            ],
        ],
        [
            0x21410,
            ['PROCESS_VM_READ', 'PROCESS_QUERY_INFORMATION', 'PROCESS_QUERY_LIMITED_INFORMATION', 'READ_CONTROL'],
        ],
        ['0x80000000', ['GENERIC_READ']],
        ['0x1000000', ['ACCESS_SYSTEM_SECURITY']],
        ['0x2000000', ['MAXIMUM_ALLOWED']],
        ['0xf0000000', ['GENERIC_ALL', 'GENERIC_EXECUTE', 'GENERIC_WRITE', 'GENERIC_READ']],
        ['0x0', []],
    ])('%s names its rights in ascending bit order', (hex, expected) => {
        expect(decodeProcessAccess(Number(hex)).rights).toEqual(expected);
    });

    it('names every process and standard right for 0x1fffff', () => {
        expect(decodeProcessAccess(0x1fffff).rights).toEqual([
            ...PROCESS_ACCESS_RIGHTS.map((right) => right.name),
            'DELETE',
            'READ_CONTROL',
            'WRITE_DAC',
            'WRITE_OWNER',
            'SYNCHRONIZE',
        ]);
    });
});

describe('decodeProcessAccess: hex, unknown bits, all access', () => {
    it.each([
        ['0x1fffff', '0x1fffff', 'PROCESS_ALL_ACCESS', 0],
        ['0x1f3fff', '0x1f3fff', 'PROCESS_ALL_ACCESS_XP', 0],
        ['0x1f2fff', '0x1f2fff', 'PROCESS_ALL_ACCESS_XP', 0],
        ['0x1f1fff', '0x1f1fff', 'PROCESS_ALL_ACCESS_XP', 0],
        ['0x1f0fff', '0x1f0fff', 'PROCESS_ALL_ACCESS_XP', 0],
        ['0x1410', '0x1410', undefined, 0],
        ['0x143a', '0x143a', undefined, 0],
        ['0x1000', '0x1000', undefined, 0],
        ['0x2000', '0x2000', undefined, 0],
        ['0x80000000', '0x80000000', undefined, 0],
        // 0x4000/0x8000 are unnamed: explained only inside the Vista+ PROCESS_ALL_ACCESS constant.
        ['0x4000', '0x4000', undefined, 0x4000],
        ['0xc000', '0xc000', undefined, 0xc000],
        ['0x1f4fff', '0x1f4fff', 'PROCESS_ALL_ACCESS_XP', 0x4000],
        ['0x5410', '0x5410', undefined, 0x4000],
        // bits 21-23 and 26-27 are reserved in Access Mask Format
        ['0x200000', '0x200000', undefined, 0x200000],
        ['0x0c000000', '0xc000000', undefined, 0x0c000000],
        // missing DELETE: not all access
        ['0x1effff', '0x1effff', undefined, 0xc000],
        // missing one low bit: not all access
        ['0x1f0ffe', '0x1f0ffe', undefined, 0],
        ['0x1f03ff', '0x1f03ff', undefined, 0],
    ] as const)('%s: hex %s, allAccess %s, unknownBits %d', (label, hex, allAccess, unknownBits) => {
        const decoded = decodeProcessAccess(Number(label));
        expect(decoded.mask).toBe(Number(label));
        expect(decoded.hex).toBe(hex);
        expect(decoded.allAccess).toBe(allAccess);
        expect(decoded.unknownBits).toBe(unknownBits);
    });

    it('reads a negative (signed) number as the unsigned mask', () => {
        const decoded = decodeProcessAccess(-2147483648);
        expect(decoded.mask).toBe(0x80000000);
        expect(decoded.hex).toBe('0x80000000');
        expect(decoded.rights).toEqual(['GENERIC_READ']);
    });

    it('round-trips through parseAccessMask', () => {
        expect(decodeProcessAccess(parseAccessMask('0x1F3FFF') ?? -1).hex).toBe('0x1f3fff');
    });
});

describe('decodeProcessAccess: capabilities', () => {
    const ALL: readonly ProcessCapabilityName[] = [
        'write-and-execute',
        'write-memory',
        'read-memory',
        'create-thread',
        'suspend-resume',
        'duplicate-handles',
        'create-child-as-parent',
    ];

    it.each<[string, readonly ProcessCapabilityName[]]>([
        ['0x1fffff', ALL],
        ['0x1f3fff', ALL],
        ['0x1f1fff', ALL],
        ['0x1f0fff', ALL],
        ['0x1410', ['read-memory']],
        ['0x1438', ['write-memory', 'read-memory']],
        ['0x143a', ['write-and-execute', 'write-memory', 'read-memory', 'create-thread']],
        ['0x10143a', ['write-and-execute', 'write-memory', 'read-memory', 'create-thread']],
        ['0x147a', ['write-and-execute', 'write-memory', 'read-memory', 'create-thread', 'duplicate-handles']],
        ['0x1028', ['write-memory']],
        ['0x0828', ['write-and-execute', 'write-memory', 'suspend-resume']],
        ['0x0820', ['suspend-resume']],
        ['0x0800', ['suspend-resume']],
        ['0x1452', ['read-memory', 'create-thread', 'duplicate-handles']],
        ['0x14c0', ['duplicate-handles', 'create-child-as-parent']],
        ['0x21410', ['read-memory']],
        ['0x1000', ['query-only']],
        ['0x1400', ['query-only']],
        ['0x101000', ['query-only']],
        ['0x101400', ['query-only']],
        ['0x0400', ['query-only']],
        ['0x100000', []],
        ['0x2000', []],
        ['0x80000000', []],
        ['0x0040', ['duplicate-handles']],
        ['0x0001', []],
        ['0x0', []],
    ])('%s grants %j', (hex, expected) => {
        expect(decodeProcessAccess(Number(hex)).capabilities.map((capability) => capability.name)).toEqual(expected);
    });

    it.each<[string, ProcessCapabilityName, boolean]>([
        ['0x1028', 'write-memory', true],
        ['0x1028', 'write-and-execute', false],
        ['0x0020', 'write-memory', false],
        ['0x0008', 'write-memory', false],
        ['0x002a', 'write-and-execute', true],
        ['0x1000', 'query-only', true],
        ['0x1001', 'query-only', false],
        ['0x21400', 'query-only', false],
        ['0x14c0', 'create-child-as-parent', true],
        ['0x1410', 'create-child-as-parent', false],
    ])('hasCapability(%s, %s) is %s', (hex, name, expected) => {
        expect(hasCapability(decodeProcessAccess(Number(hex)), name)).toBe(expected);
    });

    it('gives every capability a one-line explanation', () => {
        for (const capability of decodeProcessAccess(0x1fffff).capabilities) {
            expect(capability.explanation).toMatch(/^\S.*\S$/);
            expect(capability.explanation).not.toContain('\n');
        }
        expect(decodeProcessAccess(0x143a).capabilities[0]).toEqual({
            name: 'write-and-execute',
            explanation: 'can write code into the target and start or resume it',
        });
    });
});

describe('decodeThreadAccess', () => {
    it.each([
        ['0x001a', ['THREAD_SUSPEND_RESUME', 'THREAD_GET_CONTEXT', 'THREAD_SET_CONTEXT'], undefined, 0],
        ['0x0002', ['THREAD_SUSPEND_RESUME'], undefined, 0],
        ['0x1000', ['THREAD_RESUME'], undefined, 0],
        ['0x2000', [], undefined, 0x2000],
        ['0x100040', ['THREAD_QUERY_INFORMATION', 'SYNCHRONIZE'], undefined, 0],
        ['0x1f03ff', undefined, 'THREAD_ALL_ACCESS_XP', 0],
        ['0x1f0fff', undefined, 'THREAD_ALL_ACCESS_XP', 0],
        ['0x1fffff', undefined, 'THREAD_ALL_ACCESS', 0],
        ['0x1f23ff', undefined, 'THREAD_ALL_ACCESS_XP', 0x2000],
    ] as const)('%s decodes to %j (allAccess %s, unknownBits %d)', (hex, rights, allAccess, unknownBits) => {
        const decoded = decodeThreadAccess(Number(hex));
        if (rights !== undefined) {
            expect(decoded.rights).toEqual(rights);
        }
        expect(decoded.allAccess).toBe(allAccess);
        expect(decoded.unknownBits).toBe(unknownBits);
    });

    it.each([
        ['0x001a', ['set-context', 'get-context', 'suspend-resume']],
        ['0x0010', ['set-context']],
        ['0x0008', ['get-context']],
        ['0x0002', ['suspend-resume']],
        ['0x1000', []],
        ['0x0040', []],
        ['0x1fffff', ['set-context', 'get-context', 'suspend-resume']],
    ] as const)('%s grants %j', (hex, expected) => {
        expect(decodeThreadAccess(Number(hex)).capabilities.map((capability) => capability.name)).toEqual(expected);
    });

    it('names thread rights, not process rights', () => {
        const decoded = decodeThreadAccess(0x0010);
        expect(decoded.rights).toEqual(['THREAD_SET_CONTEXT']);
        expect(hasCapability(decoded, 'set-context')).toBe(true);
        expect(hasCapability(decoded, 'get-context')).toBe(false);
    });
});

describe('right tables', () => {
    it.each([
        ['PROCESS_ACCESS_RIGHTS', PROCESS_ACCESS_RIGHTS],
        ['THREAD_ACCESS_RIGHTS', THREAD_ACCESS_RIGHTS],
        ['STANDARD_ACCESS_RIGHTS', STANDARD_ACCESS_RIGHTS],
    ] as const)('%s holds distinct single bits in ascending order, each with a meaning', (_name, table) => {
        const values: number[] = table.map((right) => right.value);
        for (const right of table) {
            expect(Number.isInteger(Math.log2(right.value))).toBe(true);
            expect(right.meaning.length).toBeGreaterThan(0);
        }
        expect(new Set(values).size).toBe(values.length);
        expect([...values].sort((a, b) => a - b)).toEqual(values);
    });
});
