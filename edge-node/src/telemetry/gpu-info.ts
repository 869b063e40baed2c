// The GPU record crosses to the broker in registrations and heartbeats, so it lives in shared.
export { GpuInfoSchema, type GpuInfo } from '@edgeplay/shared';
