// The worker's message loop: opens what the page asks for and answers walks, with the engine's functions. A dump
// file is read through FileReaderSync (workers only), a slice at a time, when PagedMemory asks for a chunk: a file
// of many GiB costs what its tables weigh.
import type { Reply, Request } from '../shared/protocol';
import type { ByteSource } from './image';
import { imageSource, readRuns, type Source, sampleSource, walkAddress } from './engine';

/** The part of a worker's global scope used here (the DOM library types describe a window). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(message: Reply, transfer?: Transferable[]): void;
}
declare const FileReaderSync: { new (): { readAsArrayBuffer(blob: Blob): ArrayBuffer } };

const scope = globalThis as unknown as WorkerScope;
let source: Source | undefined;

/** Bytes read from the file at a time: PagedMemory asks for 64 KiB chunks, mostly in order, and one FileReaderSync
 * call costs about as much as copying a few hundred KiB, so a window of 1 MiB is read and the chunks copied out. */
const WINDOW = 1 << 20;

function fileBytes(file: File): ByteSource {
  const reader = new FileReaderSync();
  let window = new Uint8Array(0);
  let at = 0;
  return {
    size: file.size,
    read(offset, into) {
      if (offset < at || offset + into.length > at + window.length) {
        at = offset - (offset % 65536);
        const end = Math.min(file.size, Math.max(at + WINDOW, offset + into.length));
        window = new Uint8Array(reader.readAsArrayBuffer(file.slice(at, end)));
      }
      into.set(window.subarray(offset - at, offset - at + into.length));
    },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
}

scope.onmessage = (event) => {
  const req = event.data;
  if (req.type === 'walk') {
    try {
      if (!source) throw new Error('nothing is open');
      scope.postMessage(walkAddress(source, req.id, req.vaddr));
    } catch (err) {
      scope.postMessage({ type: 'failed', request: 'walk', message: message(err) });
    }
    return;
  }
  try {
    const next = req.type === 'open-sample' ? sampleSource(req.arch) : imageSource(fileBytes(req.file), req.file.name, req);
    const opened = readRuns(next);
    source = next;
    const r = opened.runs;
    const buffers = [r.root, r.start, r.pages, r.paddr, r.pageShift, r.level, r.flags, r.effective, r.audit, r.attrs].map((a) => a.buffer as ArrayBuffer);
    scope.postMessage(opened, buffers);
  } catch (err) {
    scope.postMessage({ type: 'failed', request: 'open', message: message(err) });
  }
};
