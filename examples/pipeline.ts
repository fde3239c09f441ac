/**
 * A processing pipeline as one pure operator, tested with marbles
 * (pipeline.spec.ts): orders are received, the ones that are not orders are
 * dropped, each order is enriched by an asynchronous lookup (at most two at
 * a time), and a line is made of each.
 *
 *   npx tsx examples/pipeline.ts [url] [address] [count]     (defaults amqp://localhost:5672 orders 4)
 *
 * `processOrders(lookup)` knows nothing of AMQP connections or time: it maps
 * an Observable of deliveries to an Observable of lines. So the same code
 * runs on a real receiver here and on a TestScheduler's hot observable in
 * the spec, where `mergeMap(…, 2)` can be seen holding the third lookup back
 * until one of the first two is done.
 *
 * Run directly, it sends <count> orders (and one message that is not an
 * order) to <address> and prints the processed lines.
 */
import { pathToFileURL } from 'node:url';
import { connect, receive, send, type Delivery, type Message } from 'rx-amqp';
import { delay, filter, from, ignoreElements, map, merge, mergeMap, of, take, type Observable, type OperatorFunction } from 'rxjs';

export interface Order {
  readonly id: number;
  readonly customer: string;
  readonly amount: number;
}

export interface Customer {
  readonly name: string;
  readonly tier: 'gold' | 'standard';
}

/** What the pipeline needs of a delivery: its message (so plain objects do in tests). */
export type Incoming = Pick<Delivery, 'message'>;

/** The fields of a map body: a received AMQP map decodes as a `Map`; one built by hand may be a plain object. */
function fields(body: unknown): Record<string, unknown> | undefined {
  if (body instanceof Map) return Object.fromEntries(body);
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/** The order a message carries (subject 'order', a map body `{ id, customer, amount }`), or undefined. */
export function orderOf(message: Message): Order | undefined {
  const body = fields(message.body);
  if (message.subject !== 'order' || body === undefined) return undefined;
  const { id, customer, amount } = body;
  return typeof id === 'number' && typeof customer === 'string' && typeof amount === 'number' ? { id, customer, amount } : undefined;
}

/** Concurrent lookups at most. */
export const LOOKUP_CONCURRENCY = 2;

/**
 * receive → filter → mergeMap(enrich, 2) → map: drops what is not an order,
 * looks each order's customer up (at most two lookups at once), and formats
 * a line; gold customers get 10 % off.
 */
export function processOrders(lookup: (customerId: string) => Observable<Customer>): OperatorFunction<Incoming, string> {
  return (deliveries$) =>
    deliveries$.pipe(
      map((delivery) => orderOf(delivery.message)),
      filter((order): order is Order => order !== undefined),
      mergeMap((order) => lookup(order.customer).pipe(map((customer) => ({ order, customer }))), LOOKUP_CONCURRENCY),
      map(({ order, customer }) => {
        const total = customer.tier === 'gold' ? order.amount * 0.9 : order.amount;
        return `order ${order.id}: ${customer.name} (${customer.tier}) pays ${total.toFixed(2)}`;
      }),
    );
}

// --- run directly: the pipeline on a real receiver --------------------------------------

const CUSTOMERS: Record<string, Customer> = {
  c1: { name: 'Alice', tier: 'gold' },
  c2: { name: 'Bob', tier: 'standard' },
};

/** A stand-in for a database or HTTP lookup: answers after a few milliseconds. */
function lookupCustomer(customerId: string): Observable<Customer> {
  return of(CUSTOMERS[customerId] ?? { name: customerId, tier: 'standard' as const }).pipe(delay(5));
}

async function main(): Promise<void> {
  const [url = 'amqp://localhost:5672', address = 'orders', countArg = '4'] = process.argv.slice(2);
  const count = Number.parseInt(countArg, 10) || 4;
  const connection$ = connect(url);
  const outgoing: Message[] = [{ subject: 'note', body: 'not an order' }];
  for (let id = 1; id <= count; id++) {
    outgoing.push({ subject: 'order', body: { id, customer: id % 2 === 1 ? 'c1' : 'c2', amount: 10 * id } });
  }
  const lines$ = receive(connection$, address).pipe(processOrders(lookupCustomer), take(count));
  const sent$ = from(outgoing).pipe(send(connection$, address), ignoreElements());
  // Lookups finish in any order, so lines may too: sort them for a stable printout.
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    merge(lines$, sent$).subscribe({ next: (line) => lines.push(line), error: reject, complete: resolve });
  });
  for (const line of lines.sort((a, b) => Number(a.split(/[ :]/)[1]) - Number(b.split(/[ :]/)[1]))) console.log(line);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
