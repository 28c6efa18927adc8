import { InMemoryDeadLetterStore } from '../../../shared/ingest/deadLetter';
import { deadLetterStoreContract } from '../../contracts/deadLetterStoreContract';

deadLetterStoreContract('InMemoryDeadLetterStore', () => Promise.resolve(new InMemoryDeadLetterStore()));
