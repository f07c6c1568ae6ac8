/** Parsing a group command's arguments (`mlwb deployments show NAME`, `mlwb policies run NAME`…). */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './output.ts';

type Options = ParseArgsConfig['options'];

export function subcommandArgs(group: string, args: string[]) {
  const parse = (options: Options = {}) => parseArgs({ args, options, allowPositionals: true, strict: true });
  return {
    parse,
    /** The subcommand's one NAME and its flags; a usage error naming `usage` otherwise. */
    one(usage: string, options: Options = {}) {
      const { values, positionals } = parse(options);
      if (positionals.length !== 1) throw new UsageError(`usage: mlwb ${group} ${usage}`);
      return { name: positionals[0]!, values };
    },
  };
}
