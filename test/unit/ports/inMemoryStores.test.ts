/**
 * Runs the host-state and incident contracts against the in-memory reference stores, the semantics the Table
 * stores (test/integration/tableStores.test.ts) must match.
 */
import { InMemoryIncidentStore } from '../../../shared/ports/InMemoryIncidentStore';
import { InMemoryHostStateStore } from '../../../shared/ports/InMemoryHostStateStore';
import { hostStateStoreContract } from '../../contracts/hostStateStoreContract';
import { incidentStoreContract } from '../../contracts/incidentStoreContract';

hostStateStoreContract('InMemoryHostStateStore', () => Promise.resolve(new InMemoryHostStateStore()));
incidentStoreContract('InMemoryIncidentStore', () => Promise.resolve(new InMemoryIncidentStore()));
