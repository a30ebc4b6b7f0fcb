export {
  IMAGE_FORMATS,
  type DocumentBytes,
  type ImageBytes,
  type ImageFormat,
  type OcrInput,
} from './image-bytes';
export {
  ImageInputModule,
  imageInputOptionsFromConfig,
  type ImageInputModuleAsyncOptions,
} from './image-input.module';
export {
  DEFAULT_IMAGE_INPUT_OPTIONS,
  HOST_RESOLVER,
  IMAGE_INPUT_OPTIONS,
  imageInputOptions,
  type ImageInputOptions,
  type ImageInputOptionsInput,
  type UrlFetchOptions,
} from './image-input.options';
export { ImageInputService, type UploadedImage } from './image-input.service';
export { type HostResolver, type ResolvedAddress } from './url-guard';
