import { WorkerAdmission } from './worker-admission';

describe(WorkerAdmission.name, () => {
  it('should refuse a job that would exceed the bytes in flight, and admit it once bytes are released', () => {
    const admission = new WorkerAdmission(100, () => 10);
    const first = admission.admit(60);
    expect(first).toBeDefined();
    expect(admission.admit(50)).toBeUndefined();
    first?.();
    expect(admission.admit(50)).toBeDefined();
  });

  it('should refuse a job beyond the job limit, read at each admission', () => {
    let limit = 2;
    const admission = new WorkerAdmission(1_000, () => limit);
    expect([admission.admit(1), admission.admit(1), admission.admit(1)].map(Boolean)).toEqual([
      true,
      true,
      false,
    ]);
    limit = 3;
    expect(admission.admit(1)).toBeDefined();
    expect(admission.inFlight).toEqual({ jobs: 3, bytes: 3 });
  });

  it('should always admit one job, even one larger than the byte limit', () => {
    const admission = new WorkerAdmission(10, () => 1);
    expect(admission.admit(50)).toBeDefined();
    expect(admission.admit(1)).toBeUndefined();
  });

  it('should count a release once however often it is called', () => {
    const admission = new WorkerAdmission(100, () => 10);
    const release = admission.admit(40);
    release?.();
    release?.();
    expect(admission.inFlight).toEqual({ jobs: 0, bytes: 0 });
  });
});
