/** @module What the HTTP use cases (shared/api) read and write: the stores, and the optional workspace enricher. */
import type { DeadLetterStore } from '../ports/deadLetterStore';
import type { EnrichmentStore } from '../ports/enrichmentStore';
import type { IncidentEnricher } from '../ports/incidentEnricher';
import type { IncidentStore } from '../ports/incidentStore';

export interface IncidentsApiDependencies {
    incidents: IncidentStore;
    enrichmentStore: EnrichmentStore;
    enricher?: IncidentEnricher;
    /** Where stage 1 and stage 2 put rejected inputs; listed for operators. */
    deadLetters: DeadLetterStore;
}
