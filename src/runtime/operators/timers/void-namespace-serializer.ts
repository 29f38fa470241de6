import type { DataInputView } from '../../../types/data-input-view.ts';
import type { DataOutputView } from '../../../types/data-output-view.ts';
import type {
  FixedLengthTypeSerializer,
  TypeSerializerDescriptor,
} from '../../../types/type-serializer.ts';

/**
 * Serializer of the empty namespace (Flink's `VoidNamespaceSerializer`): timers and
 * state of operators that do not partition their keyed state further (a keyed process
 * function) use it. Writes and reads zero bytes.
 *
 * @remarks Stateless; share freely.
 */
export class VoidNamespaceSerializer implements FixedLengthTypeSerializer<undefined> {
  static readonly INSTANCE = new VoidNamespaceSerializer();

  serialize(_value: undefined, _target: DataOutputView): void {}
  deserialize(_source: DataInputView): undefined {
    return undefined;
  }
  deserializeWithReuse(_reuse: undefined, _source: DataInputView): undefined {
    return undefined;
  }
  writeFixed(_value: undefined, _view: DataView, _offset: number): void {}
  readFixed(_view: DataView, _offset: number): undefined {
    return undefined;
  }
  readFixedWithReuse(_reuse: undefined, _view: DataView, _offset: number): undefined {
    return undefined;
  }
  getLength(): number {
    return 0;
  }
  isImmutableType(): boolean {
    return true;
  }
  createInstance(): undefined {
    return undefined;
  }
  copy(value: undefined): undefined {
    return value;
  }
  snapshotConfiguration(): TypeSerializerDescriptor {
    return { type: 'json' };
  }
}
