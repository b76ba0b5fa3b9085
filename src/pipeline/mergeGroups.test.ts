import { describe, expect, it } from 'vitest';
import { loadContracts } from '../contracts/loadContracts.ts';
import { BUILTIN_CONTRACTS } from '../wiring/local.ts';
import { mergeGroups } from './mergeGroups.ts';

describe('merge groups', () => {
  it('put the datasets that feed a common summary in one group, named after its first dataset, and every other dataset alone', async () => {
    const groups = mergeGroups(await loadContracts(BUILTIN_CONTRACTS));
    const olist = {
      name: 'olist_customers',
      datasets: [
        'olist_customers',
        'olist_order_items',
        'olist_order_payments',
        'olist_order_reviews',
        'olist_orders',
        'olist_sellers',
      ],
    };
    for (const d of olist.datasets) expect(groups(d)).toEqual(olist);
    expect(groups('ad_clicks')).toEqual({ name: 'ad_clicks', datasets: ['ad_clicks'] });
    expect(groups('olist_products')).toEqual({ name: 'olist_products', datasets: ['olist_products'] });
    expect(groups('retailrocket_events')).toEqual({ name: 'retailrocket_events', datasets: ['retailrocket_events'] });
    expect(groups('not_a_contract')).toEqual({ name: 'not_a_contract', datasets: ['not_a_contract'] });
  });
});
