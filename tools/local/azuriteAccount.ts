/**
 * Azurite's well-known development account key (public, documented by Microsoft for the emulator), apart from
 * localAzurite.ts so that naming it does not load Azurite.
 */
export const AZURITE_ACCOUNT_KEY =
    'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
