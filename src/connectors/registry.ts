import type { CommonSettings, Connector } from './types.js';
import { gabunganConnector } from './gabungan.js';
import { opensidApiConnector } from './opensidApi.js';
import { restJsonConnector } from './restJson.js';

/** Pull connectors by the `connector` name a source has in config/sources.json. */
export const PULL_CONNECTORS: Record<string, Connector<CommonSettings>> = {
  'opensid-gabungan': gabunganConnector as unknown as Connector<CommonSettings>,
  'opensid-api': opensidApiConnector as unknown as Connector<CommonSettings>,
  'rest-json': restJsonConnector as unknown as Connector<CommonSettings>,
};
