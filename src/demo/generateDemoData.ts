import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Random } from './random.ts';

/**
 * Realistic, deterministic sample files for every built-in contract, with the dirt real exports have:
 * duplicate rows, empty values, malformed rows (bad dates, text in numbers, ragged rows, broken quotes),
 * late and out-of-order records, free text with quotes, accents and line breaks, a gzipped file, and one
 * file of over 100 MB.
 */
export interface DemoOptions {
  dir: string;
  /** full: about 180 MB with a clicks file of over 100 MB; small: about 25 MB, for tests and a quick look. */
  size: 'full' | 'small';
  seed?: number;
  onFile?: (name: string, bytes: number) => void;
}

export interface DemoFile {
  name: string;
  path: string;
  bytes: number;
}

const STATES = ['SP', 'RJ', 'MG', 'RS', 'PR', 'SC', 'BA', 'DF', 'GO', 'ES', 'PE', 'CE', 'PA', 'MT', 'MA'] as const;
const STATE_WEIGHTS = [42, 13, 12, 5.5, 5, 3.7, 3.4, 2.2, 2, 2, 1.7, 1.3, 1, 0.9, 0.7];
const CITIES: Record<string, string[]> = {
  SP: ['sao paulo', 'campinas', 'guarulhos', 'santo andre', 'sao jose dos campos', 'ribeirao preto'],
  RJ: ['rio de janeiro', 'niteroi', 'duque de caxias', 'nova iguacu'],
  MG: ['belo horizonte', 'uberlandia', 'contagem', 'juiz de fora'],
  RS: ['porto alegre', 'caxias do sul', 'pelotas'],
  PR: ['curitiba', 'londrina', 'maringa'],
  SC: ['florianopolis', 'joinville', 'blumenau'],
  BA: ['salvador', 'feira de santana'],
  DF: ['brasilia'],
  GO: ['goiania', 'anapolis'],
  ES: ['vitoria', 'vila velha'],
  PE: ['recife', 'olinda'],
  CE: ['fortaleza'],
  PA: ['belem'],
  MT: ['cuiaba'],
  MA: ['sao luis'],
};
const CATEGORIES: [string, string][] = [
  ['cama_mesa_banho', 'bed_bath_table'],
  ['beleza_saude', 'health_beauty'],
  ['esporte_lazer', 'sports_leisure'],
  ['moveis_decoracao', 'furniture_decor'],
  ['informatica_acessorios', 'computers_accessories'],
  ['utilidades_domesticas', 'housewares'],
  ['relogios_presentes', 'watches_gifts'],
  ['telefonia', 'telephony'],
  ['ferramentas_jardim', 'garden_tools'],
  ['automotivo', 'auto'],
  ['brinquedos', 'toys'],
  ['cool_stuff', 'cool_stuff'],
  ['perfumaria', 'perfumery'],
  ['bebes', 'baby'],
  ['eletronicos', 'electronics'],
  ['papelaria', 'stationery'],
  ['fashion_bolsas_e_acessorios', 'fashion_bags_accessories'],
  ['pet_shop', 'pet_shop'],
  ['moveis_escritorio', 'office_furniture'],
  ['consoles_games', 'consoles_games'],
  ['malas_acessorios', 'luggage_accessories'],
  ['construcao_ferramentas_construcao', 'construction_tools_construction'],
  ['eletrodomesticos', 'home_appliances'],
  ['instrumentos_musicais', 'musical_instruments'],
  ['livros_interesse_geral', 'books_general_interest'],
  ['alimentos', 'food'],
];
const TITLES = [
  'Recomendo',
  'Ótimo',
  'Péssimo',
  'Muito bom',
  'Não recebi',
  'Excelente produto',
  'Bom',
  'Chegou antes do prazo',
  '',
];
const MESSAGES = [
  'Produto chegou antes do prazo, muito bem embalado.',
  'Não recebi o produto até agora, "aguardando" retorno da loja.',
  'Comprei dois itens e veio só um.\r\nA loja não responde.',
  'Ótima qualidade, recomendo!',
  'O produto é bom, mas a entrega demorou mais do que o previsto',
  'Veio com defeito; pedi troca, "sem resposta".',
  'Tudo certo, obrigado',
  'Entrega rápida e produto conforme anúncio.',
];
const PAYMENT_TYPES = [
  ['credit_card', 74],
  ['boleto', 19],
  ['voucher', 5.5],
  ['debit_card', 1.5],
] as const;
const STATUS = [
  ['delivered', 96.5],
  ['shipped', 1.1],
  ['canceled', 0.6],
  ['unavailable', 0.6],
  ['invoiced', 0.3],
  ['processing', 0.3],
  ['approved', 0.1],
  ['created', 0.1],
] as const;

const DAY = 86_400_000;

function ts(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes lines produced by `rows` in 1 MB pieces, honouring backpressure; gzips when the name ends in .gz. */
async function writeLines(path: string, header: string, rows: () => Iterable<string>): Promise<void> {
  async function* pieces() {
    let buf = `${header}\n`;
    for (const line of rows()) {
      buf += line;
      buf += '\n';
      if (buf.length > 1 << 20) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  }
  const out = createWriteStream(path);
  if (path.endsWith('.gz')) {
    await pipeline(Readable.from(pieces()), createGzip(), out);
  } else {
    await pipeline(Readable.from(pieces()), out);
  }
  if (!out.closed) await once(out, 'close');
}

export async function generateDemoData(o: DemoOptions): Promise<DemoFile[]> {
  const r = new Random(o.seed ?? 20171107);
  const small = o.size === 'small';
  const n = {
    customers: small ? 5_000 : 20_000,
    orders: small ? 10_000 : 50_000,
    geolocation: small ? 20_000 : 100_000,
    events: small ? 100_000 : 600_000,
    itemProperties: small ? 40_000 : 200_000,
    clicks: small ? 200_000 : 2_600_000,
    lateClicks: small ? 10_000 : 50_000,
  };
  const dir = o.dir;
  await mkdir(dir, { recursive: true });
  const files: DemoFile[] = [];
  const emit = async (name: string, header: string, rows: () => Iterable<string>) => {
    const path = join(dir, name);
    await writeLines(path, header, rows);
    const bytes = (await stat(path)).size;
    files.push({ name, path, bytes });
    o.onFile?.(name, bytes);
  };
  const state = () => r.weighted(STATES.map((s, i) => [s, STATE_WEIGHTS[i]] as const));
  const zip = () => String(r.int(1000, 99990)).padStart(5, '0');

  // Olist ---------------------------------------------------------------------------------
  const nCustomers = n.customers;
  const customers = Array.from({ length: nCustomers }, () => ({ id: r.hex(32), unique: r.hex(32), state: state() }));
  await emit(
    'olist_customers_dataset.csv',
    'customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state',
    function* () {
      for (const [i, c] of customers.entries()) {
        yield `${c.id},${c.unique},${zip()},${r.pick(CITIES[c.state])},${c.state}`;
        if (i % 4000 === 17) yield `${c.id},${c.unique},${zip()},${r.pick(CITIES[c.state])},${c.state}`; // duplicate export row
      }
    },
  );

  const sellers = Array.from({ length: 1_500 }, () => ({ id: r.hex(32), state: state() }));
  await emit('olist_sellers_dataset.csv', 'seller_id,seller_zip_code_prefix,seller_city,seller_state', function* () {
    for (const [i, s] of sellers.entries()) {
      // A zip code that lost its leading zero in a spreadsheet: fails the contract's 5-digit check.
      const z = i === 700 ? '1310' : zip();
      yield `${s.id},${z},${r.pick(CITIES[s.state])},${s.state}`;
    }
  });

  const products = Array.from({ length: 8_000 }, () => ({
    id: r.hex(32),
    cat: r.chance(0.015) ? '' : r.pick(CATEGORIES)[0],
  }));
  await emit(
    'olist_products_dataset.csv',
    'product_id,product_category_name,product_name_lenght,product_description_lenght,product_photos_qty,product_weight_g,product_length_cm,product_height_cm,product_width_cm',
    function* () {
      for (const p of products) {
        const dims = p.cat ? `${r.int(20, 64)},${r.int(30, 3000)},${r.int(1, 8)}` : ',,';
        yield `${p.id},${p.cat},${dims},${r.int(50, 30000)},${r.int(10, 100)},${r.int(2, 100)},${r.int(8, 100)}`;
      }
    },
  );

  await emit(
    'product_category_name_translation.csv',
    'product_category_name,product_category_name_english',
    function* () {
      for (const [pt, en] of CATEGORIES) yield `${pt},${en}`;
    },
  );

  await emit(
    'olist_geolocation_dataset.csv.gz',
    'geolocation_zip_code_prefix,geolocation_lat,geolocation_lng,geolocation_city,geolocation_state',
    function* () {
      for (let i = 0; i < n.geolocation; i++) {
        const s = state();
        const lat = r.normal(-20, 6, -33.7, 5.2).toFixed(14);
        const lng = r.normal(-47, 5, -73.9, -34.8).toFixed(14);
        yield `${zip()},${lat},${lng},${r.pick(CITIES[s])},${s}`;
        if (i === 5_000) yield `${zip()},${(-23.5).toFixed(14)},181.2,sao paulo,SP`; // longitude out of range
      }
    },
  );

  // Orders from 2017-01 to 2018-08; a second, later file carries status updates and late orders.
  const start = Date.UTC(2017, 0, 1);
  const span = Date.UTC(2018, 7, 31) - start;
  type Order = {
    id: string;
    customer: string;
    status: string;
    purchased: number;
    approved: number;
    carrier: number;
    delivered: number;
    estimated: number;
  };
  const orders: Order[] = Array.from({ length: n.orders }, () => {
    const purchased = start + Math.floor(r.next() * span);
    const approved = purchased + r.int(10, 48 * 60) * 60_000;
    const carrier = approved + r.int(1, 5) * DAY + r.int(0, DAY);
    const delivered = carrier + Math.round(r.normal(8, 5, 1, 60) * DAY);
    const estimated = Math.floor((purchased + r.int(15, 35) * DAY) / DAY) * DAY;
    return {
      id: r.hex(32),
      customer: r.pick(customers).id,
      status: r.weighted(STATUS),
      purchased,
      approved,
      carrier,
      delivered,
      estimated,
    };
  }).sort((a, b) => a.purchased - b.purchased);
  const orderLine = (o: Order) => {
    const delivered = o.status === 'delivered';
    const shipped = delivered || o.status === 'shipped';
    return [
      o.id,
      o.customer,
      o.status,
      ts(o.purchased),
      o.status === 'created' ? '' : ts(o.approved),
      shipped ? ts(o.carrier) : '',
      delivered ? ts(o.delivered) : '',
      ts(o.estimated),
    ].join(',');
  };
  await emit(
    'olist_orders_dataset.csv',
    'order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date',
    function* () {
      for (const [i, o] of orders.entries()) {
        if (i === 1234) yield `${o.id},${o.customer},delivered,2017-02-30 10:00:00,,,,2017-03-15 00:00:00`; // impossible date
        if (i === 4321) yield `${o.id},${o.customer},delivered`; // truncated export row
        if (i % 997 === 0) {
          yield orderLine(o);
        } // duplicate rows
        // Recent orders are still in flight in this export; the later file brings their outcome.
        yield o.purchased > start + span - 20 * DAY ? orderLine({ ...o, status: 'shipped' }) : orderLine(o);
      }
    },
  );
  await emit(
    'olist_orders_dataset_2018-09.csv',
    'order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,order_estimated_delivery_date',
    function* () {
      // Late and out of order: final states of the recent orders, newest first, plus a few orders never seen before.
      const recent = orders.filter((o) => o.purchased > start + span - 20 * DAY).reverse();
      for (const o of recent) yield orderLine(o);
      for (let i = 0; i < 200; i++) {
        const purchased = start + span - r.int(1, 60) * DAY;
        yield orderLine({
          id: r.hex(32),
          customer: r.pick(customers).id,
          status: 'delivered',
          purchased,
          approved: purchased + 3_600_000,
          carrier: purchased + 2 * DAY,
          delivered: purchased + 9 * DAY,
          estimated: purchased + 20 * DAY,
        });
      }
    },
  );

  await emit(
    'olist_order_items_dataset.csv',
    'order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value',
    function* () {
      for (const [i, o] of orders.entries()) {
        const n = r.weighted([
          [1, 88],
          [2, 9],
          [3, 2],
          [4, 1],
        ] as const);
        for (let k = 1; k <= n; k++) {
          const price = Math.max(0.85, r.normal(120, 90, 0.85, 6700)).toFixed(2);
          const freight = r.normal(20, 12, 0, 400).toFixed(2);
          yield `${o.id},${k},${r.pick(products).id},${r.pick(sellers).id},${ts(o.approved + 3 * DAY)},${i === 999 ? 'R$ 49,90' : price},${freight}`;
        }
      }
    },
  );

  await emit(
    'olist_order_payments_dataset.csv',
    'order_id,payment_sequential,payment_type,payment_installments,payment_value',
    function* () {
      for (const o of orders) {
        const parts = r.weighted([
          [1, 95],
          [2, 4],
          [3, 1],
        ] as const);
        for (let k = 1; k <= parts; k++) {
          const type = k > 1 ? 'voucher' : r.weighted(PAYMENT_TYPES);
          yield `${o.id},${k},${type},${type === 'credit_card' ? r.int(1, 10) : 1},${r.normal(150, 120, 0.5, 13000).toFixed(2)}`;
        }
      }
    },
  );

  await emit(
    'olist_order_reviews_dataset.csv',
    'review_id,order_id,review_score,review_comment_title,review_comment_message,review_creation_date,review_answer_timestamp',
    function* () {
      for (const [i, o] of orders.entries()) {
        if (o.status !== 'delivered' || r.chance(0.03)) continue;
        const score = r.weighted([
          [5, 57],
          [4, 19],
          [3, 8],
          [2, 3],
          [1, 13],
        ] as const);
        const created = Math.floor((o.delivered + DAY) / DAY) * DAY;
        const title = r.chance(0.12) ? r.pick(TITLES) : '';
        const message = r.chance(0.4) ? r.pick(MESSAGES) : '';
        const score2 = i === 3003 ? 'cinco' : String(score); // text where a number belongs
        yield `${r.hex(32)},${o.id},${score2},${csvField(title)},${csvField(message)},${ts(created)},${ts(created + r.int(1, 72) * 3_600_000)}`;
        if (i === 7007) yield `${r.hex(32)},${o.id},4,"Bom,"Chegou bem",${ts(created)},${ts(created + 3_600_000)}`; // stray quote
      }
    },
  );

  // RetailRocket ------------------------------------------------------------------------------
  const rrStart = Date.UTC(2015, 4, 3);
  await emit('category_tree.csv', 'categoryid,parentid', function* () {
    for (let c = 0; c < 1_669; c++) yield c < 25 ? `${c},` : `${c},${r.int(0, Math.min(c - 1, 400))}`;
  });
  await emit('events.csv', 'timestamp,visitorid,event,itemid,transactionid', function* () {
    let t = rrStart;
    let txn = 1;
    for (let i = 0; i < n.events; i++) {
      t += r.int(0, 8_000);
      const visitor = r.int(0, 150_000);
      const item = r.int(0, 40_000);
      const ev = r.weighted([
        ['view', 96.7],
        ['addtocart', 2.5],
        ['transaction', 0.8],
      ] as const);
      // Events arrive roughly, not strictly, in time order.
      const jitter = r.chance(0.02) ? -r.int(0, 3_600_000) : 0;
      yield `${t + jitter},${visitor},${ev},${item},${ev === 'transaction' ? txn++ : ''}`;
      if (i === Math.floor(n.events / 2)) yield `${t},${visitor},click,${item},`; // an event type the contract does not know
    }
  });
  await emit('item_properties.csv', 'timestamp,itemid,property,value', function* () {
    for (let i = 0; i < n.itemProperties; i++) {
      const prop = r.weighted([
        ['categoryid', 10],
        ['available', 10],
        ['790', 20],
        ['888', 30],
        ['364', 15],
        ['6', 15],
      ] as const);
      const value =
        prop === 'available'
          ? String(r.int(0, 1))
          : prop === 'categoryid'
            ? String(r.int(0, 1668))
            : `${r.int(100000, 999999)} n${r.int(1, 999)}.000`;
      yield `${rrStart + r.int(0, 140) * DAY + r.int(0, DAY)},${r.int(0, 40_000)},${prop},${value}`;
    }
  });

  // Ad clicks ------------------------------------------------------------------------------------
  const clickLine = (t: number) => {
    const installed = r.chance(0.0025);
    const attributed = installed ? ts(t + r.int(60, 36_000) * 1000) : '';
    return `${r.int(1, 364_000)},${r.weighted([
      [3, 18],
      [12, 13],
      [2, 12],
      [9, 9],
      [15, 9],
      [18, 8],
      [14, 5],
      [1, 3],
      [r.int(19, 600), 23],
    ] as const)},${r.weighted([
      [1, 94],
      [2, 4],
      [r.int(3, 4000), 2],
    ] as const)},${r.weighted([
      [19, 24],
      [13, 21],
      [17, 5],
      [18, 5],
      [22, 4],
      [r.int(1, 800), 41],
    ] as const)},${r.weighted([
      [280, 8],
      [245, 5],
      [107, 5],
      [477, 4],
      [134, 3],
      [r.int(1, 500), 75],
    ] as const)},${ts(t)},${attributed},${installed ? 1 : 0}`;
  };
  const clickStart = Date.UTC(2017, 10, 6, 14);
  await emit(
    'ad_clicks_2017-11-06_09.csv',
    'ip,app,device,os,channel,click_time,attributed_time,is_attributed',
    function* () {
      const step = (3 * DAY) / n.clicks;
      for (let i = 0; i < n.clicks; i++) {
        const t = clickStart + Math.floor(i * step);
        yield clickLine(t);
        if (i % 500_000 === 250_000) yield `${r.int(1, 364_000)},3,1,13,280,2017-11-07 25:61:00,,0`; // corrupt timestamp
      }
    },
  );
  await emit(
    'ad_clicks_2017-11-09_late.csv.gz',
    'ip,app,device,os,channel,click_time,attributed_time,is_attributed',
    function* () {
      // A late delivery from one partner: clicks of the previous days, out of order.
      for (let i = 0; i < n.lateClicks; i++) yield clickLine(clickStart + r.int(0, 3 * DAY));
    },
  );

  return files;
}
