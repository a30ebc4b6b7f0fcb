import { WorkerMetrics } from './worker-metrics';

describe(WorkerMetrics.name, () => {
  it('should expose the queue, the lanes by state, the device and the model at each scrape', async () => {
    const metrics = new WorkerMetrics();
    let inFlight = 1;
    metrics.watch(() => ({
      status: 'ok',
      device: 'cpu',
      model: 'PP-OCRv4 (test)',
      lanes: 3,
      queueDepth: 4,
      inFlight,
      maxQueue: 64,
    }));
    let text = await metrics.registry.metrics();
    expect(text).toContain('ocr_worker_queue_depth 4');
    expect(text).toContain('ocr_worker_queue_limit 64');
    expect(text).toContain('ocr_worker_jobs_in_flight 1');
    expect(text).toContain('ocr_worker_lanes{state="busy"} 1');
    expect(text).toContain('ocr_worker_lanes{state="idle"} 2');
    expect(text).toContain('ocr_worker_info{device="cpu",model="PP-OCRv4 (test)"} 1');
    inFlight = 3;
    text = await metrics.registry.metrics();
    expect(text).toContain('ocr_worker_lanes{state="idle"} 0');
  });

  it('should count images, lines and refusals and time each stage', async () => {
    const metrics = new WorkerMetrics();
    metrics.recognized({ stageMs: { decode: 4, recognize: 1500 }, lines: 3, queueMs: 20, totalMs: 1530 });
    metrics.recognized({ stageMs: { decode: 2, recognize: 10 }, lines: 2, queueMs: 0, totalMs: 12 });
    metrics.refused('worker_overloaded');
    const text = await metrics.registry.metrics();
    expect(text).toContain('ocr_worker_images_total 2');
    expect(text).toContain('ocr_worker_lines_total 5');
    expect(text).toContain('ocr_worker_refusals_total{code="worker_overloaded"} 1');
    expect(text).toContain('ocr_worker_stage_duration_seconds_count{stage="recognize"} 2');
    expect(text).toContain('ocr_worker_stage_duration_seconds_bucket{le="1",stage="recognize"} 1');
    expect(text).toContain('ocr_worker_queue_wait_seconds_count 2');
    expect(text).toContain('ocr_worker_job_duration_seconds_count 2');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('should report no lanes and no identity before it watches a scheduler', async () => {
    const text = await new WorkerMetrics().registry.metrics();
    expect(text).toContain('ocr_worker_lanes{state="idle"} 0');
    expect(text).not.toContain('ocr_worker_info{');
  });
});
