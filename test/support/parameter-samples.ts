/** Sample wire values of each parameter type, for table-driven tests and the fuzzer. */
import type { ParameterType } from '#lib/domain/parameters.ts';

/** Valid wire values of a type, each with the value it parses to. */
export function valid(type: ParameterType): [string[], unknown][] {
  switch (type.kind) {
    case 'string':
      return [
        [['client:alice'], 'client:alice'],
        [['+14155550100'], '+14155550100'],
      ];
    case 'integer':
      return [
        [[String(type.min)], type.min],
        [[String(type.max)], type.max],
      ];
    case 'boolean':
      return [
        [['true'], true],
        [['false'], false],
        [['True'], true],
      ];
    case 'sid':
      return [[[`${type.prefix}${'A'.repeat(32)}`], `${type.prefix}${'a'.repeat(32)}`]];
    case 'url':
      return [
        [['https://example.com/twiml?x=1'], 'https://example.com/twiml?x=1'],
        [['http://127.0.0.1:8080/cb'], 'http://127.0.0.1:8080/cb'],
        // A conference's WaitUrl: empty is Twilio's "no hold music".
        ...(type.orEmpty ? [[[''], ''] as [string[], unknown]] : []),
      ];
    case 'enum':
      return type.values.map((v) => [[v], v]);
    case 'list':
      return [
        [[type.values[0]!], [type.values[0]]],
        [[...type.values], [...type.values]],
        [[type.values.join(',')], [...type.values]],
        [[type.values[0]!, type.values[0]!], [type.values[0]]],
      ];
  }
}

/** Invalid wire values of a type: each kind of mistake a client makes. */
export function invalid(type: ParameterType): string[][] {
  switch (type.kind) {
    case 'string':
      return [[''], ['a', 'b']];
    case 'integer':
      return [[String(type.min - 1)], [String(type.max + 1)], ['ten'], ['1.5'], [''], ['1', '2']];
    case 'boolean':
      return [['yes'], ['1'], [''], ['true', 'false']];
    case 'sid':
      return [[`XX${'a'.repeat(32)}`], [`${type.prefix}123`], [`${type.prefix}${'g'.repeat(32)}`], ['']];
    case 'url':
      return [['example.com/twiml'], ['ftp://example.com/x'], ['https://'], ...(type.orEmpty ? [] : [['']])];
    case 'enum':
      return [
        ['bogus'],
        [''],
        ...(type.caseInsensitive ? [] : [[type.values[0]!.toUpperCase() === type.values[0] ? type.values[0]!.toLowerCase() : type.values[0]!.toUpperCase()]]),
        [type.values[0]!, type.values[0]!],
      ];
    case 'list':
      return [['bogus'], [`${type.values[0]},bogus`], ['']];
  }
}
