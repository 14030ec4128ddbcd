// The config reference as a Markdown table, generated from the schema, and its place in a README.
import { type ConfigField, configFields } from './fields.js';

export const configTableStart = '<!-- config-table:start -->';
export const configTableEnd = '<!-- config-table:end -->';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => `\`${text}\``;

function row(field: ConfigField): string {
  const value = field.defaultValue;
  const fallback = field.hasDefault
    ? code(typeof value === 'string' ? value : JSON.stringify(value))
    : '(none)';
  return `| ${[code(field.key), code(field.envVar), field.expected, fallback, field.description].map(cell).join(' | ')} |`;
}

/** One row per config key: key, env var, type, default, description. */
export function renderConfigTable(fields: readonly ConfigField[] = configFields): string {
  const head = ['| Key | Env var | Type | Default | Description |', '| --- | --- | --- | --- | --- |'];
  return [...head, ...fields.map(row)].join('\n');
}

/** The README with the text between the config-table markers replaced by the current table. */
export function replaceConfigTable(readme: string, table: string = renderConfigTable()): string {
  const start = readme.indexOf(configTableStart);
  const end = readme.indexOf(configTableEnd, start);
  if (start < 0 || end < 0) throw new Error(`markers ${configTableStart} ... ${configTableEnd} not found`);
  return `${readme.slice(0, start + configTableStart.length)}\n${table}\n${readme.slice(end)}`;
}

/** The text between the markers, trimmed; undefined when the markers are absent. */
export function extractConfigTable(readme: string): string | undefined {
  const start = readme.indexOf(configTableStart);
  const end = readme.indexOf(configTableEnd, start);
  return start < 0 || end < 0 ? undefined : readme.slice(start + configTableStart.length, end).trim();
}
