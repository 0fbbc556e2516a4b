/** The vocabulary of the seeded marketplace: names, places, services and crafts. */
import type { Prng } from "./Seed.ts"

export const firstNames = [
  "Olivia", "Liam", "Emma", "Noah", "Charlotte", "William", "Amelia", "Benjamin", "Sophie", "Lucas",
  "Chloé", "Félix", "Léa", "Gabriel", "Maya", "Ethan", "Zoé", "Samuel", "Aanya", "Arjun",
  "Mei", "Wei", "Fatima", "Omar", "Isabella", "Mateo", "Priya", "Raj", "Hannah", "Jacob",
  "Nora", "Owen", "Ava", "Logan", "Émile", "Camille", "Kai", "Sienna", "Thomas", "Élodie"
]

export const lastNames = [
  "Smith", "Tremblay", "Martin", "Roy", "Gagnon", "Lee", "Wilson", "Johnson", "MacDonald", "Taylor",
  "Côté", "Bouchard", "Gauthier", "Morin", "Brown", "Wong", "Singh", "Patel", "Nguyen", "Chen",
  "Campbell", "Anderson", "Leblanc", "Kelly", "Fraser", "Bélanger", "Murphy", "Kim", "Ali", "Khan"
]

interface Place {
  readonly city: string
  readonly province: string
  /** First letter of the area's postal codes. */
  readonly letter: string
  readonly areaCode: number
  /** Relative share of the population. */
  readonly weight: number
}

const places: ReadonlyArray<Place> = [
  { city: "Toronto", province: "ON", letter: "M", areaCode: 416, weight: 12 },
  { city: "Ottawa", province: "ON", letter: "K", areaCode: 613, weight: 4 },
  { city: "Hamilton", province: "ON", letter: "L", areaCode: 905, weight: 2 },
  { city: "London", province: "ON", letter: "N", areaCode: 519, weight: 2 },
  { city: "Kingston", province: "ON", letter: "K", areaCode: 613, weight: 1 },
  { city: "Montréal", province: "QC", letter: "H", areaCode: 514, weight: 8 },
  { city: "Québec", province: "QC", letter: "G", areaCode: 418, weight: 3 },
  { city: "Gatineau", province: "QC", letter: "J", areaCode: 819, weight: 1 },
  { city: "Vancouver", province: "BC", letter: "V", areaCode: 604, weight: 6 },
  { city: "Victoria", province: "BC", letter: "V", areaCode: 250, weight: 1 },
  { city: "Kelowna", province: "BC", letter: "V", areaCode: 250, weight: 1 },
  { city: "Calgary", province: "AB", letter: "T", areaCode: 403, weight: 4 },
  { city: "Edmonton", province: "AB", letter: "T", areaCode: 780, weight: 4 },
  { city: "Winnipeg", province: "MB", letter: "R", areaCode: 204, weight: 2 },
  { city: "Saskatoon", province: "SK", letter: "S", areaCode: 306, weight: 1 },
  { city: "Regina", province: "SK", letter: "S", areaCode: 306, weight: 1 },
  { city: "Halifax", province: "NS", letter: "B", areaCode: 902, weight: 1 },
  { city: "Moncton", province: "NB", letter: "E", areaCode: 506, weight: 1 },
  { city: "St. John's", province: "NL", letter: "A", areaCode: 709, weight: 1 },
  { city: "Charlottetown", province: "PE", letter: "C", areaCode: 902, weight: 1 },
  { city: "Whitehorse", province: "YT", letter: "Y", areaCode: 867, weight: 1 },
  { city: "Yellowknife", province: "NT", letter: "X", areaCode: 867, weight: 1 },
  { city: "Iqaluit", province: "NU", letter: "X", areaCode: 867, weight: 1 }
]

/** Each place repeated by its weight, so a uniform pick follows the population. */
export const weightedPlaces: ReadonlyArray<Place> = places.flatMap((place) => Array(place.weight).fill(place))

// Canada Post never uses D, F, I, O, Q or U.
const postalLetters = "ABCEGHJKLMNPRSTVWXYZ"
export const postalCode = (first: string, random: Prng) =>
  `${first}${random.int(0, 9)}${random.pick([...postalLetters])}${random.int(0, 9)}${random.pick([...postalLetters])}${random.int(0, 9)}`

interface ServiceKind {
  readonly type: "dog_sitting" | "dog_walking" | "house_sitting" | "lawn_maintenance" | "house_cleaning" | "errands"
  readonly hourly: readonly [number, number] | null
  readonly daily: readonly [number, number] | null
  readonly titles: ReadonlyArray<string>
  readonly descriptions: ReadonlyArray<string>
}

export const serviceKinds: ReadonlyArray<ServiceKind> = [
  {
    type: "dog_walking",
    hourly: [18, 40],
    daily: null,
    titles: ["Daily dog walks", "Group walks for energetic dogs", "Lunchtime dog walking", "Puppy potty breaks and walks", "Trail hikes for big dogs"],
    descriptions: [
      "Thirty to sixty minute walks, leashed, with photos and a short report after each outing.",
      "Small groups of friendly dogs, matched by size and energy, picked up and dropped off at home.",
      "Reliable midday walks while you are at work; fresh water and a treat when we get back.",
      "Experienced with reactive and senior dogs; positive reinforcement only."
    ]
  },
  {
    type: "dog_sitting",
    hourly: [15, 30],
    daily: [45, 120],
    titles: ["Dog sitting in a loving home", "Overnight dog care", "Doggy daycare with a backyard", "Pet sitting while you travel"],
    descriptions: [
      "Your dog stays with us in a fenced yard, with walks twice a day and lots of cuddles.",
      "Overnight care in your home so your dog keeps its routine; medication given on schedule.",
      "Daytime care with play, naps and updates; cats and small pets welcome too."
    ]
  },
  {
    type: "house_sitting",
    hourly: null,
    daily: [60, 250],
    titles: ["House sitting and plant care", "Trusted home sitter", "Vacation home watch", "Live-in house and pet sitter"],
    descriptions: [
      "I stay in your home while you are away: mail, plants, bins and a lived-in look for the neighbours.",
      "Daily visits to check doors, windows, heating and water; snow cleared in winter.",
      "Retired teacher with references; pets, plants and pools looked after."
    ]
  },
  {
    type: "lawn_maintenance",
    hourly: [30, 80],
    daily: [200, 600],
    titles: ["Lawn mowing and edging", "Garden care and weeding", "Spring and fall yard cleanup", "Hedge trimming and leaf removal"],
    descriptions: [
      "Weekly or biweekly mowing, edging and clippings removed; our own equipment.",
      "Weeding, mulching, planting and watering for flower beds and vegetable gardens.",
      "Leaves raked and bagged, gutters cleared, beds prepared for winter."
    ]
  },
  {
    type: "house_cleaning",
    hourly: [25, 60],
    daily: [180, 450],
    titles: ["Home cleaning", "Deep cleaning and move-out cleaning", "Eco-friendly house cleaning", "Apartment cleaning"],
    descriptions: [
      "Kitchens, bathrooms, floors and dusting, with unscented, eco-friendly products.",
      "Deep cleaning before or after a move: inside cabinets, appliances and windows.",
      "Regular cleaning on your schedule, same cleaner every visit."
    ]
  },
  {
    type: "errands",
    hourly: [20, 45],
    daily: null,
    titles: ["Groceries and errands", "Pharmacy pickups and deliveries", "Help for seniors at home", "Odd jobs and errands"],
    descriptions: [
      "Groceries, pharmacy, post office and dry cleaning, delivered to your door the same day.",
      "A helping hand for seniors: appointments, shopping and small tasks around the house.",
      "Furniture assembly, returns and pickups; I have a car and a valid licence."
    ]
  }
]

export const serviceClosers = [
  "Fully insured, with references available.",
  "Bilingual service in English and French.",
  "Police check on file.",
  "Flexible hours, evenings and weekends included.",
  "First visit free for new clients."
]

export const reviewComments = [
  "Wonderful, reliable and very kind. Highly recommended!",
  "Always on time and communicates clearly. Will book again.",
  "Did a great job, our dog was happy and tired.",
  "Good work overall, a little late the first time.",
  "Very thorough and careful, the house was spotless.",
  "Friendly and professional, thank you so much.",
  "Okay service, but not quite what was described.",
  "Excellent attention to detail and great value."
]

interface ItemCategory {
  readonly name: string
  readonly description: string
  readonly products: ReadonlyArray<string>
  readonly descriptions: ReadonlyArray<string>
  readonly tags: ReadonlyArray<string>
  readonly price: readonly [number, number]
}

export const itemCategories: ReadonlyArray<ItemCategory> = [
  {
    name: "Knitwear",
    description: "Hand-knitted clothing and accessories",
    products: ["wool scarf", "toque", "mittens", "cardigan", "baby blanket", "socks"],
    descriptions: ["Hand-knitted from Canadian merino wool.", "Soft, warm and machine washable on cold."],
    tags: ["wool", "winter", "handmade", "gift", "merino"],
    price: [15, 180]
  },
  {
    name: "Pottery",
    description: "Wheel-thrown and hand-built ceramics",
    products: ["coffee mug", "serving bowl", "planter", "vase", "dinner plate set"],
    descriptions: ["Wheel-thrown stoneware, food safe and dishwasher safe.", "Hand-built and glazed in small batches."],
    tags: ["ceramic", "kitchen", "stoneware", "gift", "home"],
    price: [12, 220]
  },
  {
    name: "Jewellery",
    description: "Rings, necklaces and earrings made by hand",
    products: ["silver ring", "pendant necklace", "beaded bracelet", "stud earrings"],
    descriptions: ["Sterling silver, hand-forged and polished.", "Made with ethically sourced stones."],
    tags: ["silver", "gift", "minimalist", "handmade"],
    price: [20, 400]
  },
  {
    name: "Woodwork",
    description: "Furniture, boards and toys in Canadian wood",
    products: ["maple cutting board", "walnut serving tray", "wooden toy truck", "bookshelf", "spoon set"],
    descriptions: ["Finished with food-safe oil and beeswax.", "Solid hardwood, joined by hand."],
    tags: ["maple", "wood", "kitchen", "kids", "rustic"],
    price: [18, 900]
  },
  {
    name: "Candles and soap",
    description: "Soy candles and cold-process soaps",
    products: ["soy candle", "bar of soap", "bath bomb set", "beeswax candle pair"],
    descriptions: ["Scented with essential oils only.", "Small batch, cured for six weeks."],
    tags: ["soy", "lavender", "natural", "gift", "vegan"],
    price: [6, 60]
  },
  {
    name: "Art prints",
    description: "Prints, paintings and illustrations",
    products: ["landscape print", "watercolour painting", "linocut print", "illustrated map"],
    descriptions: ["Printed on archival cotton paper.", "An original, signed by the artist."],
    tags: ["art", "print", "decor", "landscape", "gift"],
    price: [25, 1500]
  },
  {
    name: "Quilts and textiles",
    description: "Quilts, cushions and woven goods",
    products: ["patchwork quilt", "cushion cover", "tea towel set", "woven wall hanging"],
    descriptions: ["Pieced and quilted by hand from cotton fabrics.", "Woven on a floor loom."],
    tags: ["cotton", "quilt", "home", "decor"],
    price: [15, 800]
  },
  {
    name: "Maple treats",
    description: "Syrup, butter and candy from Canadian sugar bushes",
    products: ["maple syrup", "maple butter", "maple candy box", "maple sugar"],
    descriptions: ["Grade A amber syrup from our family sugar bush.", "Made this spring from pure maple sap."],
    tags: ["maple", "food", "gift", "canadian"],
    price: [8, 70]
  }
]

export const itemAdjectives = ["Handmade", "Rustic", "Classic", "Cozy", "Hand-painted", "Small-batch", "Heirloom", "Modern"]
