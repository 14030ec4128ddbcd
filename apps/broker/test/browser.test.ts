// End-to-end test of the page a node serves at `/`: headless Chromium loads it, the page
// connects back over MQTT-over-WebSocket, and messages flow both ways with a TCP client.
import { existsSync } from 'node:fs';
import { connectClient, type TestClient } from '@edgemq/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './helpers/test-node.js';

const CHROMIUM = '/usr/bin/chromium';

let node: TestNode | undefined;
let browser: Browser | undefined;
let tcp: TestClient | undefined;
const pageLog: string[] = [];

afterAll(async () => {
  // Each step is independent so one failing close does not leak the others.
  await browser?.close().catch(() => undefined);
  await tcp?.end(true).catch(() => undefined);
  await node?.stop();
});

function watchPage(page: Page): void {
  // The location names the resource behind "Failed to load resource" lines.
  page.on('console', (msg) => pageLog.push(`console.${msg.type()}: ${msg.text()} (${msg.location().url})`));
  page.on('pageerror', (err) => pageLog.push(`pageerror: ${err.stack ?? err.message}`));
  page.on('requestfailed', (req) => pageLog.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`));
}

describe('browser page', () => {
  it('connects, subscribes, receives and publishes over WebSocket', { timeout: 30_000 }, async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} not found: the browser test needs Debian's chromium; \`make test\` installs it ` +
          '(or run `apt-get install chromium`).',
      );
    }
    try {
      node = await startTestNode();
      // The TCP client subscribes before the page publishes, so it cannot miss the message.
      tcp = await connectClient(node.tcpUrl, { protocolVersion: 4, clientId: 'browser-test-tcp' });
      await tcp.client.subscribeAsync('browser/from-page/#', { qos: 1 });

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-quic',
          '--no-first-run',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      const page = await browser.newPage();
      watchPage(page);
      await page.goto(`${node.httpUrl}/`);
      await page.waitForSelector('body[data-status="connected"]', { timeout: 10_000 });

      // Page subscribes; the callback lists the filter with its granted QoS.
      await page.fill('#filter', 'browser/to-page/#');
      await page.click('#subscribe');
      const granted = page.locator('#subscriptions li.subscription', { hasText: 'browser/to-page/#' });
      await granted.waitFor({ timeout: 5_000 });
      expect(await granted.textContent()).toBe('browser/to-page/# (granted QoS 1)');

      // TCP client -> page.
      await tcp.client.publishAsync('browser/to-page/news', 'hello page', { qos: 1 });
      const shown = page.locator('#messages li.message[data-topic="browser/to-page/news"]');
      await shown.waitFor({ timeout: 5_000 });
      expect(await shown.locator('.topic').textContent()).toBe('browser/to-page/news');
      expect(await shown.locator('.payload').textContent()).toBe('hello page');

      // Page -> TCP client.
      await page.fill('#topic', 'browser/from-page/reply');
      await page.fill('#payload', 'hello tcp');
      await page.click('#publish');
      const [m] = await tcp.take(1, 5_000);
      expect(m.topic).toBe('browser/from-page/reply');
      expect(m.payload.toString()).toBe('hello tcp');
    } catch (err) {
      console.error(
        pageLog.length ? `page log:\n  ${pageLog.join('\n  ')}` : 'page log: (no console output or errors)',
      );
      throw err;
    }
  });
});
