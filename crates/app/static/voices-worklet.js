// The recorder's capture node (Settings → Voices → Clone a voice): an
// AudioWorklet that hands the microphone's samples, mixed down to mono, to
// voices.js in batches. voices.js writes them into a WAV file: lossless
// PCM, so the quality report measures what the microphone heard and not a
// codec's artefacts. Loaded by audioWorklet.addModule from /static (the
// CSP allows scripts from 'self' only).
class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.batch = new Float32Array(4096);
    this.filled = 0;
    this.port.onmessage = (event) => {
      if (event.data === "flush") {
        this.send();
        this.port.postMessage("flushed");
      }
    };
  }

  send() {
    if (this.filled === 0) return;
    const out = this.batch.slice(0, this.filled);
    this.port.postMessage(out, [out.buffer]);
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0 && input[0].length > 0) {
      const frames = input[0].length;
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let ch = 0; ch < input.length; ch++) sum += input[ch][i];
        this.batch[this.filled++] = sum / input.length;
        if (this.filled === this.batch.length) this.send();
      }
    }
    return true;
  }
}

registerProcessor("pcm-capture", PcmCapture);
