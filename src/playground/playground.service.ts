import { Injectable } from '@nestjs/common';
import { ApiError } from '../common/errors/api-error';
import { loadPlaygroundAssets, type PlaygroundAsset } from './playground.assets';

@Injectable()
export class PlaygroundService {
  private readonly assets = loadPlaygroundAssets();

  /** @throws ApiError 404 not_found for any name outside the page's files. */
  asset(name: string): PlaygroundAsset {
    const asset = this.assets.get(name);
    if (asset === undefined) {
      throw new ApiError(404, 'not_found', 'No such file in the playground.');
    }
    return asset;
  }
}
