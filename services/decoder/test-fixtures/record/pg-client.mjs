// node-postgres client for the PostgreSQL fixtures (extended query protocol, no TLS).
// Usage: node pg-client.mjs PORT (extended | large)
import pg from 'pg';

const [port, mode] = [Number(process.argv[2]), process.argv[3]];
const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', password: process.env.PGPASSWORD, ssl: false });
await client.connect();
if (mode === 'extended') {
  // parameterised (unnamed statement): Parse/Bind/Describe/Execute/Sync
  await client.query('SELECT $1::int + $2::int AS sum', [2, 3]);
  // a named prepared statement executed twice: the second Execute has no Parse
  const named = { name: 'by_id', text: 'SELECT id, name FROM fx_items WHERE id = $1', values: [1] };
  await client.query(named);
  await client.query({ ...named, values: [2] });
  await client.query('INSERT INTO fx_items (id, name) VALUES ($1, $2)', [10, 'ten']);
  // an error in an extended query
  await client.query('SELECT * FROM missing_table WHERE id = $1', [1]).catch(() => undefined);
  await client.query('SELECT count(*) FROM fx_items WHERE id > $1', [0]);
} else if (mode === 'large') {
  const r = await client.query('SELECT g FROM generate_series(1, $1::int) g', [20000]);
  if (r.rowCount !== 20000) throw new Error(`rows ${r.rowCount}`);
}
await client.end();
