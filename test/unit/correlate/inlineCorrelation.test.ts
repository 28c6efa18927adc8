/** Inline correlation reports its ETag conflicts (a sign that the source hub is not keyed by host) instead of hiding them. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CORRELATION_CONFIG } from '../../../shared/correlate/config';
import { InlineCorrelation, inlineOutcomeWarnings } from '../../../shared/correlate/correlationService';
import { Correlator } from '../../../shared/correlate/Correlator';
import type { CorrelationOutcome } from '../../../shared/correlate/Correlator';
import { InMemoryHostStateStore } from '../../../shared/ports/InMemoryHostStateStore';
import { processCreate } from '../../helpers/sysmonBuilders';

const NOW = new Date('2024-05-01T10:20:00.000Z');

describe('InlineCorrelation', () => {
    it('reports the conflicts of two workers sharing a host, and the warning names the fix', async () => {
        const store = new InMemoryHostStateStore();
        const make = (): Correlator => new Correlator({ config: DEFAULT_CORRELATION_CONFIG, store, publishers: [] });
        const outcomes: CorrelationOutcome[] = [];
        const first = new InlineCorrelation(
            make(),
            () => NOW,
            (o) => outcomes.push(o),
        );
        const second = new InlineCorrelation(
            make(),
            () => NOW,
            (o) => outcomes.push(o),
        );
        const notepad = 'C:\\Windows\\System32\\notepad.exe';
        await first.forward([processCreate(0, 'a', notepad, 'explorer', 'C:\\Windows\\explorer.exe')]);
        await second.forward([processCreate(1, 'b', notepad, 'explorer', 'C:\\Windows\\explorer.exe')]);
        // The first worker's cached state is now stale: its next save conflicts, re-reads and re-applies.
        await first.forward([processCreate(2, 'c', notepad, 'explorer', 'C:\\Windows\\explorer.exe')]);
        expect(outcomes.map((o) => o.conflicts)).toStrictEqual([0, 0, 1]);
        expect(inlineOutcomeWarnings(outcomes[0]!)).toStrictEqual([]);
        const [warning] = inlineOutcomeWarnings(outcomes[2]!);
        expect(warning).toContain('1 ETag conflicts');
        expect(warning).toContain('HOLLOWTRACE_CORRELATION=eventHub');
    });
});
