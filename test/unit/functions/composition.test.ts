/** Credentials are kept per client id: a later caller with another identity never gets the first caller's. */
import { describe, expect, it } from 'vitest';
import { azureCredential } from '../../../functions/composition';

describe('azureCredential', () => {
    it('builds one managed identity credential per client id and reuses it', () => {
        const storage = azureCredential('11111111-0000-0000-0000-000000000001');
        const workspace = azureCredential('11111111-0000-0000-0000-000000000002');
        expect(workspace).not.toBe(storage);
        expect(azureCredential('11111111-0000-0000-0000-000000000001')).toBe(storage);
        expect(azureCredential('11111111-0000-0000-0000-000000000002')).toBe(workspace);
    });
});
