import { InMemoryDeadLetterStore } from '../../../shared/ports/InMemoryDeadLetterStore';
import { deadLetterStoreContract } from '../../contracts/deadLetterStoreContract';

deadLetterStoreContract('InMemoryDeadLetterStore', () => Promise.resolve(new InMemoryDeadLetterStore()));
