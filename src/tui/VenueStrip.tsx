// Venue health squeezed onto one line for terminals too small for the venues pane: a
// disconnected venue or an invalid book must stay visible at 80x24.

import { Box, Text } from 'ink';
import type { VenueView } from './viewModel.ts';
import { formatAge } from './format.ts';

export interface VenueStripProps {
  venues: readonly VenueView[];
  width: number;
}

export function VenueStrip({ venues, width }: VenueStripProps) {
  return (
    <Box width={width} flexShrink={0}>
      <Text wrap="truncate">
        <Text color="gray">venues </Text>
        {venues.map((venue, i) => {
          const healthy = venue.connected && venue.booksValid;
          const state = !venue.connected ? 'DOWN' : !venue.booksValid ? 'INVALID' : formatAge(venue.dataAgeMs);
          return (
            <Text key={venue.name}>
              {i > 0 ? '  ' : ''}
              {venue.name} <Text color={healthy ? 'green' : 'red'}>{state}</Text>
            </Text>
          );
        })}
      </Text>
    </Box>
  );
}
