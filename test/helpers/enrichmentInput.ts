/**
 * The enrichment input of the mavinject -> notepad chain of OTRF Security-Datasets `psh_mavinject_dll_notepad`
 * (see test/fixtures/README.md), shared by the enrichment tests.
 */
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
