/** Table Storage connection strings for tests. */
import { AZURITE_ACCOUNT_KEY } from '../../cli/localAzurite';

/** Port 1 on loopback: nothing listens, so every request fails without an HTTP response. */
export const CLOSED_PORT_CONNECTION_STRING =
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};TableEndpoint=http://127.0.0.1:1/devstoreaccount1;`;
