import { InMemoryDeadLetterStore } from '../../../shared/ingest/deadLetter.js';
import { deadLetterStoreContract } from '../../contracts/deadLetterStoreContract.js';

deadLetterStoreContract('InMemoryDeadLetterStore', () => Promise.resolve(new InMemoryDeadLetterStore()));
