/**
 * What a `Computer` may be. A JSON number is rejected (`wrong-type`): nothing that emits Sysmon events writes a host
 * name as a number, so it is a mapping error and would file the events under a host that does not exist. All-digit
 * text is accepted: Windows refuses to give new names of digits only, but hosts can still carry one, and rejecting
 * them would let a renamed host hide its events. See docs/dead-letters.md, "Host names".
 */
import { describe, expect, it } from 'vitest';
import { ingestBatch } from '../../../shared/ingest/ingestBatch';

const NOW = new Date('2026-11-25T10:00:00.000Z');

function processCreate(computer: unknown): string {
    return JSON.stringify({
        EventID: 1,
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Computer: computer,
        UtcTime: '2024-05-01 10:15:01.987',
        ProcessGuid: '{3710b5c6-1243-6182-8303-000000000a00}',
        Image: 'C:\\Windows\\System32\\svchost.exe',
    });
}

describe('Computer (host name)', () => {
    it('rejects a JSON number as wrong-type, saying what it was', () => {
        const result = ingestBatch([{ body: processCreate(42) }], NOW);
        expect(result.report).toMatchObject({ accepted: 0, rejected: 1, rejectedByReason: { 'wrong-type': 1 } });
        expect(result.deadLetters[0]!.detail).toBe('Computer is the number 42, expected a host name');
    });

    it('accepts all-digit text as the host name it says', () => {
        const result = ingestBatch([{ body: processCreate('42') }, { body: processCreate('42.contoso.local') }], NOW);
        expect(result.report).toMatchObject({ accepted: 2, rejected: 0 });
        expect(result.events.map((e) => e.host)).toEqual(['42', '42.contoso.local']);
    });

    it('reads the XML form as text, so a numeric-looking <Computer> is a name too', () => {
        const xml =
            '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon"/>' +
            '<EventID>1</EventID><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>42</Computer></System>' +
            '<EventData><Data Name="UtcTime">2024-05-01 10:15:01.987</Data>' +
            '<Data Name="ProcessGuid">{3710b5c6-1243-6182-8303-000000000a00}</Data>' +
            '<Data Name="Image">C:\\Windows\\System32\\svchost.exe</Data></EventData></Event>';
        const result = ingestBatch([{ body: xml }], NOW);
        expect(result.report).toMatchObject({ accepted: 1, rejected: 0 });
        expect(result.events[0]!.host).toBe('42');
    });
});
