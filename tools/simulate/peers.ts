/** @module The network peers simulated processes connect to. */
import { FQDN } from './hostProfiles';

/** The other end of a connection: its address, the name Sysmon resolved (`-` for none) and the service port. */
export interface Peer {
    ip: string;
    host: string;
    port: number;
}

export const WEB: readonly Peer[] = [
    { ip: '142.250.185.68', host: 'www.google.com', port: 443 },
    { ip: '52.97.146.162', host: 'outlook.office365.com', port: 443 },
    { ip: '20.190.159.2', host: 'login.microsoftonline.com', port: 443 },
    { ip: '140.82.121.4', host: 'github.com', port: 443 },
    { ip: '13.107.21.200', host: 'www.bing.com', port: 443 },
    { ip: '13.107.136.10', host: 'contoso.sharepoint.com', port: 443 },
    { ip: '52.113.194.132', host: 'teams.microsoft.com', port: 443 },
];
export const UPDATE: readonly Peer[] = [
    { ip: '20.72.235.82', host: 'fe2cr.update.microsoft.com', port: 443 },
    { ip: '20.42.73.27', host: 'settings-win.data.microsoft.com', port: 443 },
    { ip: '93.184.221.240', host: 'ctldl.windowsupdate.com', port: 80 },
];
export const DEFENDER_CLOUD: Peer = { ip: '20.44.10.123', host: 'wdcp.microsoft.com', port: 443 };
export const AGENT_SERVER: Peer = { ip: '10.20.10.30', host: `inventory.${FQDN}`, port: 443 };
export const DC: readonly Peer[] = [
    { ip: '10.20.10.5', host: `DC-01.${FQDN}`, port: 88 },
    { ip: '10.20.10.5', host: `DC-01.${FQDN}`, port: 389 },
    { ip: '10.20.10.5', host: `DC-01.${FQDN}`, port: 445 },
];
