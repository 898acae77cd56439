import { EnvironmentProviders, Provider } from '@angular/core';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';

/** Given to every unit test (angular.json `providersFile`): jsdom runs no CSS animations, so Material skips them. */
const providers: (Provider | EnvironmentProviders)[] = [{ provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } }];

export default providers;
