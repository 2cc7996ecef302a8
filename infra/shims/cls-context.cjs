/**
 * The bundles' stand-in for `cls-hooked/context`, the context store under the X-Ray SDK's automatic
 * mode, which Lambda's active tracing uses (infra/bundling.ts aliases it to this file). cls-hooked
 * follows every async resource through async_hooks with init, before, after and destroy hooks: the
 * destroy hook has V8 track every promise of the process to its collection, and each hook runs on
 * every promise the AWS SDK's middleware stack makes. This is the same Namespace API on Node's
 * AsyncLocalStorage, which carries a context to what is created within it with no such hooks.
 *
 * The rule it keeps from cls-hooked: a context entered outside any `run` or `bind` (the SDK does
 * so once, at its Lambda init, for the facade segment) is the process-wide context wherever no
 * other is active, as cls-hooked's `active` is; `run` and `bind` make a context active for what
 * they call and all it starts, and `createContext` inherits from the active one. Local runs (npm
 * start, the tests) are not bundled and keep cls-hooked, in manual mode outside Lambda
 * (lib/telemetry/xray-mode.ts).
 */
const { AsyncLocalStorage } = require('node:async_hooks');

const ERROR_SYMBOL = 'error@context';

class Namespace {
  constructor(name) {
    this.name = name;
    this.storage = new AsyncLocalStorage();
    /** The context entered outside any run or bind. */
    this.outside = null;
  }

  get active() {
    return this.storage.getStore() ?? this.outside;
  }

  createContext() {
    const context = Object.create(this.active ?? Object.prototype);
    context._ns_name = this.name;
    return context;
  }

  set(key, value) {
    const context = this.active;
    if (!context) throw new Error('No context available. ns.run() or ns.bind() must be called first.');
    context[key] = value;
    return value;
  }

  get(key) {
    return this.active?.[key];
  }

  run(fn) {
    const context = this.createContext();
    try {
      this.storage.run(context, () => fn(context));
    } catch (exception) {
      if (exception) exception[ERROR_SYMBOL] = context;
      throw exception;
    }
    return context;
  }

  runAndReturn(fn) {
    let value;
    this.run((context) => {
      value = fn(context);
    });
    return value;
  }

  bind(fn, context) {
    const bound = context ?? this.active ?? this.createContext();
    const storage = this.storage;
    return function clsBind(...args) {
      try {
        return storage.run(bound, () => fn.apply(this, args));
      } catch (exception) {
        if (exception) exception[ERROR_SYMBOL] = bound;
        throw exception;
      }
    };
  }

  enter(context) {
    if (!context) throw new Error('context must be provided for entering');
    if (this.storage.getStore() === undefined) this.outside = context;
    else this.storage.enterWith(context);
  }

  exit(context) {
    if (!context) throw new Error('context must be provided for exiting');
    if (this.storage.getStore() === undefined && this.outside === context) this.outside = null;
  }

  bindEmitter(emitter) {
    const context = this.active;
    if (!context) return;
    for (const method of ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener']) {
      const original = emitter[method];
      if (typeof original !== 'function') continue;
      const namespace = this;
      emitter[method] = function (event, listener) {
        return original.call(this, event, typeof listener === 'function' ? namespace.bind(listener, context) : listener);
      };
    }
  }

  fromException(exception) {
    return exception[ERROR_SYMBOL];
  }
}

const namespaces = new Map();

function getNamespace(name) {
  return namespaces.get(name);
}

function createNamespace(name) {
  const namespace = new Namespace(name);
  namespaces.set(name, namespace);
  return namespace;
}

function destroyNamespace(name) {
  namespaces.delete(name);
}

function reset() {
  namespaces.clear();
}

module.exports = { getNamespace, createNamespace, destroyNamespace, reset, ERROR_SYMBOL };
