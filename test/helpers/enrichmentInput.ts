/**
 * The enrichment input of the mavinject -> notepad chain of OTRF Security-Datasets `psh_mavinject_dll_notepad`
 * (see test/fixtures/README.md), shared by the enrichment tests.
 */
import type { Enrichment } from '../../shared/enrich/enrichment';
import type { EnrichmentInput } from '../../shared/enrich/kql';

export const MAVINJECT_ENRICHMENT_INPUT: EnrichmentInput = {
    host: 'WORKSTATION5',
    injectorImage: 'C:\\Windows\\System32\\mavinject.exe',
    targetImage: 'C:\\Windows\\System32\\notepad.exe',
    targetProcessGuid: '{39e4a257-e328-5f90-d410-000000000700}',
    firstSeen: '2020-10-22T01:40:56.444Z',
    lastSeen: '2020-10-22T01:41:02.517Z',
    injectorSha256: '42BA5CFE0228D26275A9F57F1A7A544287A4C82FF96FE8167975D93AE8FA9514',
};

/**
 * What the workspace stand-ins of the enrichment tests know about that chain, as `enrichIncident` reports it: each
 * test answers its queries with these numbers and lists in its own format and expects them back.
 */
export const MAVINJECT_WORKSPACE_FACTS = {
    pairRarity: { occurrences: 3, hosts: 2 },
    hashRarity: { occurrences: 1, hosts: 1 },
    alertsOnHost: { count: 2, names: ['Suspicious PowerShell', 'Mimikatz'] },
    targetConnections: { count: 4, destinations: ['evil.example:443', '[2001:db8::1]:80'] },
} satisfies Partial<Enrichment>;
