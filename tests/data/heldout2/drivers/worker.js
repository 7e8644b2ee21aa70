// A small job worker: loads its job files, calls a local service for each job, reports.
const fs = require('fs');
const http = require('http');
const path = require('path');

const log = (level, ...args) => console.log(new Date().toISOString(), level, ...args);

function get(port, p) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

function loadJob(file) {
  const text = fs.readFileSync(file, 'utf8');
  const job = JSON.parse(text);
  if (!job.target) throw new TypeError(`job ${path.basename(file)} has no target`);
  return job;
}

async function main() {
  const server = http.createServer((req, res) => {
    if (req.url === '/ping') { res.end('pong'); return; }
    if (req.url === '/slow') { res.statusCode = 503; res.end('busy'); return; }
    if (req.url === '/crash') { res.destroy(); return; }
    res.statusCode = 404; res.end('no such route');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  log('INFO', `service listening on 127.0.0.1:${port}`);
  const dir = path.join(__dirname, 'jobs');
  for (const name of ['a.json', 'b.json', 'c.json', 'd.json', 'e.json', 'f.json']) {
    let job;
    try {
      job = loadJob(path.join(dir, name));
    } catch (err) {
      log('ERROR', `cannot load ${name}:`);
      console.error(err);
      continue;
    }
    try {
      const res = await get(port, job.target);
      log(res.status === 200 ? 'INFO' : 'WARN', `job ${job.id} -> ${job.target} status=${res.status} body=${JSON.stringify(res.body)}`);
    } catch (err) {
      log('ERROR', `job ${job.id} failed: ${err.message}`);
      console.error(err);
    }
  }
  server.close();
  const buf = new Buffer(4);
  log('DEBUG', `scratch buffer of ${buf.length} bytes`);
  try {
    await get(port, '/ping');
  } catch (err) {
    log('ERROR', 'service gone');
    console.error(err);
  }
  log('INFO', 'all jobs done, flushing report');
  const report = undefined;
  setTimeout(() => { report.write('done'); }, 10);
}

main();
