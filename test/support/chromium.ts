import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core: browser tests never download a browser
 * (`.ci/run` installs the `chromium` package). No sandbox: CI runs as root in a container.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}
